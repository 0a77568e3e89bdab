#!/usr/bin/env bash
# bench/tunnel.sh : rqst's throughput and latency between two network namespaces, measured exactly like
# the anchor VPNs (OpenVPN, wireguard-go, SoftEther) of ../shared/bench/anchors, in the same run.
#
#   bench/tunnel.sh [scenario...]     default: rqst ovpn-tap
#     rqst       rqst server/client, certificates verified, tunnel 10.8.0.0/24, TAP MTU 1280 (default)
#     ovpn-tap   OpenVPN 2.6 dev tap (the anchors' setup), for the ratio
#     (any other anchor scenario name is passed to the anchors' run-all.sh logic: ovpn-tun wg-go ...)
#   Env: IPERF_CC (default cubic), IPERF_T (10), IPERF_RUNS (3), WARMUP_S (8: iperf3 seconds each way of a
#        warm-up round before rqst is measured, not counted; rounds repeat until the JIT compilers spent
#        under JIT_QUIET_S (0.5) seconds in one, at most WARMUP_MAX_ROUNDS (5)), ANCHORS_DIR (default ../shared/bench/anchors),
#        RESULTS_DIR (default bench/results)
#   Output: bench/results/<UTC stamp>/{summary.md,runs.tsv,<scenario>/...}; bench/results/latest -> it.
#   Needs root; installs iperf3/openvpn/jq/bc through the anchors' install-deps.sh when missing.
#   Uses the anchors' namespaces ab-srv (10.99.0.1) / ab-cli (10.99.0.2): do not run both at once.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

sel=("$@"); ((${#sel[@]})) || sel=(rqst ovpn-tap)
bench_prepare
T0=$(date +%s)
trap anchors_cleanup EXIT
trap 'exit 130' INT TERM

"$ANCHORS_DIR/netns.sh" up
for sc in "${sel[@]}"; do
  log "===== $sc"
  measure_scenario "$sc"
  scenario_down "$sc"
done

T1=$(date +%s)
{
  echo "# rqst tunnel benchmark $stamp"
  echo
  run_header
  echo "- wall time: $((T1 - T0)) s"
  echo
  report "$RUN_DIR"
  echo
  if [[ " ${sel[*]} " == *" rqst "* && " ${sel[*]} " == *" ovpn-tap "* ]]; then
    for d in c2s s2c; do
      r=$(median_of rqst $d); o=$(median_of ovpn-tap $d)
      echo "- ratio rqst / OpenVPN tap, $d: $(awk -v a="$r" -v b="$o" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "NA"}') ($r vs $o Mbit/s)"
    done
  fi
} >"$RUN_DIR/summary.md"
cat "$RUN_DIR/summary.md"
