#!/usr/bin/env bash
# deps.sh : installs the Debian packages rqst's build, tests, demo and benchmarks use (idempotent).
set -euo pipefail
pk=(maven iproute2 iputils-ping openssl tcpdump iperf3 isc-dhcp-client socat ethtool procps psmisc kmod tshark dnsmasq-base nftables gcc libc6-dev)
missing=()
for p in "${pk[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps: missing packages ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}" >&2
  apt-get update -qq
  # noninteractive: iperf3 asks whether to start a daemon
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ -e /dev/net/tun ]] || modprobe tun 2>/dev/null || true
