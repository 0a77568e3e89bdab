#!/usr/bin/env bash
# bench/tunnel.sh : rqst's throughput and latency between two network namespaces, measured exactly like
# the anchor VPNs (OpenVPN, wireguard-go, SoftEther) of ../shared/bench/anchors, in the same run.
#
#   bench/tunnel.sh [scenario...]     default: rqst ovpn-tap
#     rqst       rqst server/client, certificates verified, tunnel 10.8.0.0/24, TAP MTU 1280 (default)
#     ovpn-tap   OpenVPN 2.6 dev tap (the anchors' setup), for the ratio
#     (any other anchor scenario name is passed to the anchors' run-all.sh logic: ovpn-tun wg-go ...)
#   Env: IPERF_CC (default cubic), IPERF_T (10), IPERF_RUNS (3), WARMUP_S (8: iperf3 seconds to warm the
#        JIT before rqst is measured, not counted), ANCHORS_DIR (default ../shared/bench/anchors),
#        RESULTS_DIR (default bench/results)
#   Output: bench/results/<UTC stamp>/{summary.md,runs.tsv,<scenario>/...}; bench/results/latest -> it.
#   Needs root; installs iperf3/openvpn/jq/bc through the anchors' install-deps.sh when missing.
#   Uses the anchors' namespaces ab-srv (10.99.0.1) / ab-cli (10.99.0.2): do not run both at once.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ANCHORS_DIR=${ANCHORS_DIR:-$(cd "$ROOT/../shared/bench/anchors" 2>/dev/null && pwd || true)}
[[ -n $ANCHORS_DIR && -f $ANCHORS_DIR/lib.sh ]] || { echo "bench: the anchor scripts are missing (set ANCHORS_DIR)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "bench: needs root" >&2; exit 1; }
export IPERF_CC=${IPERF_CC:-cubic}
WARMUP_S=${WARMUP_S:-8}
# shellcheck source=/dev/null
. "$ANCHORS_DIR/lib.sh"

sel=("$@"); ((${#sel[@]})) || sel=(rqst ovpn-tap)
for b in iperf3 openvpn jq bc ethtool; do command -v "$b" >/dev/null || SKIP_SOFTETHER=1 "$ANCHORS_DIR/install-deps.sh" >/dev/null; done
"$ROOT/rqst" build

RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
export RUN_DIR=$RESULTS_DIR/$stamp
mkdir -p "$RUN_DIR"; : >"$RUN_DIR/runs.tsv"
ln -sfn "$stamp" "$RESULTS_DIR/latest"
PKI=$SCRATCH/rqst-pki
T0=$(date +%s)

rqst_down() { stop_daemon rqst-cli; stop_daemon rqst-srv; }
cleanup() {
  rqst_down
  "$ANCHORS_DIR/openvpn.sh" down >/dev/null 2>&1 || true
  "$ANCHORS_DIR/wireguard-go.sh" down >/dev/null 2>&1 || true
  "$ANCHORS_DIR/netns.sh" down || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rqst_up() {
  rm -rf "$PKI"; "$ROOT/scripts/throwaway-pki.sh" "$PKI" rqst.bench >/dev/null
  mkdir -p /etc/netns/"$NS_CLI"; echo "$UL_SRV_IP rqst.bench" >/etc/netns/"$NS_CLI"/hosts
  start_daemon rqst-srv "$NS_SRV" sh -c "cd '$PKI/server' && exec '$ROOT/rqst' server --address 10.8.0.1/24 --state-dir '$SCRATCH/rqst-state'"
  for _ in $(seq 1 100); do grep -q "listening on" "$SCRATCH/logs/rqst-srv.out" 2>/dev/null && break; sleep 0.1; done
  start_daemon rqst-cli "$NS_CLI" sh -c "cd '$PKI/client' && exec '$ROOT/rqst' client --address 10.8.0.2/24 --state-dir '$SCRATCH/rqst-state' vpn://rqst.bench"
  wait_reachable 10.8.0.1 30 || { cat "$SCRATCH/logs/rqst-"*.out >&2; die "rqst tunnel 10.8.0.1 unreachable"; }
  # warm the JIT (a JVM needs a few seconds of traffic before its compiled code runs); not measured
  start_daemon iperf3-warm "$NS_SRV" iperf3 -s -p "$IPERF_PORT"; sleep 0.5
  timeout $((WARMUP_S + 20)) ip netns exec "$NS_CLI" iperf3 -c 10.8.0.1 -p "$IPERF_PORT" -t "$WARMUP_S" -C "$IPERF_CC" >/dev/null 2>&1 || true
  timeout $((WARMUP_S + 20)) ip netns exec "$NS_CLI" iperf3 -c 10.8.0.1 -p "$IPERF_PORT" -t "$WARMUP_S" -C "$IPERF_CC" -R >/dev/null 2>&1 || true
  stop_daemon iperf3-warm
  log "rqst up: $(grep -h 'connected to\|listening on' "$SCRATCH/logs/rqst-"*.out | tr '\n' ' ')"
}

"$ANCHORS_DIR/netns.sh" up
for sc in "${sel[@]}"; do
  log "===== $sc"
  case $sc in
    rqst)
      rqst_up
      measure rqst 10.8.0.1 rqst-srv rqst-cli rqst0
      cp "$SCRATCH/logs/rqst-srv.out" "$RUN_DIR/rqst/server.log"; cp "$SCRATCH/logs/rqst-cli.out" "$RUN_DIR/rqst/client.log"
      rqst_down ;;
    ovpn-tap|ovpn-tun)
      "$ANCHORS_DIR/openvpn.sh" up "${sc#ovpn-}"
      measure "$sc" "$OVPN_SRV_IP" ovpn-srv ovpn-cli abovpn0
      "$ANCHORS_DIR/openvpn.sh" down ;;
    wg-go)
      "$ANCHORS_DIR/wireguard-go.sh" up
      measure "$sc" "$WG_SRV_IP" wg-srv wg-cli abwg-c
      "$ANCHORS_DIR/wireguard-go.sh" down ;;
    *) die "unknown scenario $sc (rqst ovpn-tap ovpn-tun wg-go)" ;;
  esac
done

median_of() { awk -F'\t' -v s="$1" -v d="$2" '$1==s && $2==d && $4!="NA"{print $4}' "$RUN_DIR/runs.tsv" | median3; }
T1=$(date +%s)
{
  echo "# rqst tunnel benchmark $stamp"
  echo
  echo "- host: $(uname -r), $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- rqst $(git -C "$ROOT" describe --always --dirty 2>/dev/null); $(grep -h "listening on" "$RUN_DIR"/rqst/server.log 2>/dev/null | cut -d" " -f4- | head -1)"
  echo "- iperf3: 1 TCP stream, -t $IPERF_T, $IPERF_RUNS runs per direction, interleaved, congestion control $IPERF_CC; rqst warmed up with ${WARMUP_S}s each way first"
  echo "- ping: -c $PING_COUNT -i $PING_INTERVAL on the idle tunnel; measurement method and CPU guard: the anchors' lib.sh"
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
