#!/usr/bin/env bash
# demo.sh : a working rqst tunnel between two network namespaces on this machine, then clean up.
#   server namespace rqst-demo-srv: 203.0.113.1/24 and 2001:db8::1/64 on a veth (the manual's addresses)
#   client namespace rqst-demo-cli: 203.0.113.2/24 and 2001:db8::2/64; rqst.example.com resolves to the server
#   throwaway CA + server + client certificates; server and client run with verification on;
#   tunnel 10.8.0.0/24 (server uplink 10.8.0.1, client 10.8.0.2); ping across both ways, v4 and v6.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
RQST=$HERE/rqst
SRV=rqst-demo-srv CLI=rqst-demo-cli
WORK=$(mktemp -d /tmp/rqst-demo.XXXXXX)
[[ $(id -u) -eq 0 ]] || { echo "demo: needs root (network namespaces, TAP devices)" >&2; exit 1; }
"$HERE/scripts/deps.sh"

step() { printf '\n== %s\n' "$*"; }
cleanup() {
  set +e
  for ns in $CLI $SRV; do
    pids=$(ip netns pids $ns 2>/dev/null); [[ -n $pids ]] && kill -TERM $pids 2>/dev/null
  done
  sleep 1
  for ns in $CLI $SRV; do
    pids=$(ip netns pids $ns 2>/dev/null); [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
    ip netns del $ns 2>/dev/null; rm -rf /etc/netns/$ns
  done
  rm -rf "$WORK"
  echo; echo "demo: cleaned up (namespaces, processes, certificates)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "1. two hosts: namespaces $SRV and $CLI joined by a veth"
for ns in $SRV $CLI; do ip netns del $ns 2>/dev/null || true; ip netns add $ns; ip -n $ns link set lo up; done
ip link add rqd-s netns $SRV type veth peer name rqd-c netns $CLI
ip -n $SRV addr add 203.0.113.1/24 dev rqd-s; ip -n $SRV addr add 2001:db8::1/64 dev rqd-s nodad
ip -n $CLI addr add 203.0.113.2/24 dev rqd-c; ip -n $CLI addr add 2001:db8::2/64 dev rqd-c nodad
ip -n $SRV link set rqd-s up; ip -n $CLI link set rqd-c up
mkdir -p /etc/netns/$CLI; printf '203.0.113.1 rqst.example.com\n2001:db8::1 rqst6.example.com\n' >/etc/netns/$CLI/hosts
echo "   server 203.0.113.1 / 2001:db8::1, client 203.0.113.2 / 2001:db8::2; rqst.example.com -> 203.0.113.1"

step "2. throwaway certificates (CA, server rqst.example.com, client alice)"
"$HERE/scripts/throwaway-pki.sh" "$WORK" rqst.example.com rqst6.example.com
echo "   $WORK/server: ca.crt server.key server.crt    $WORK/client: ca.crt client.key client.crt"

step "3. server: rqst server --address 10.8.0.1/24   (in $SRV, working directory with its certificates)"
(cd "$WORK/server" && exec ip netns exec $SRV "$RQST" server --address 10.8.0.1/24 --state-dir "$WORK/state") >"$WORK/server.log" 2>&1 &
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/server.log" && break; sleep 0.1; done
sed 's/^/   server| /' "$WORK/server.log"

step "4. client: rqst client --address 10.8.0.2/24 vpn://rqst.example.com:3456   (in $CLI)"
(cd "$WORK/client" && exec ip netns exec $CLI "$RQST" client --address 10.8.0.2/24 --state-dir "$WORK/state" vpn://rqst.example.com:3456) >"$WORK/client.log" 2>&1 &
for _ in $(seq 1 150); do grep -q "connected to" "$WORK/client.log" && break; sleep 0.1; done
sed 's/^/   client| /' "$WORK/client.log"
grep -q "connected to" "$WORK/client.log" || { echo "demo: the client did not connect" >&2; exit 1; }

step "5. ping through the tunnel (client -> server IPv4, client -> server IPv6 link-local, server -> client)"
# -w: a deadline rather than a count of tries, because a new interface's IPv6 link-local address is
# usable only after duplicate address detection (about a second)
ip netns exec $CLI ping -c 3 -i 0.3 -w 10 10.8.0.1 | sed 's/^/   /'
ll=$(ip -n $SRV -6 -br addr show dev rqst-up0 scope link | awk '{print $3}' | cut -d/ -f1)
ip netns exec $CLI ping -6 -c 3 -i 0.3 -w 10 "$ll%rqst0" | sed 's/^/   /'
ip netns exec $SRV ping -c 3 -i 0.3 -w 10 10.8.0.2 | sed 's/^/   /'

step "6. what the two ends logged"
sleep 0.5
sed 's/^/   server| /' "$WORK/server.log" | tail -n 3
echo
echo "demo: OK - a verified rqst tunnel carried IPv4 and IPv6 between two namespaces."
