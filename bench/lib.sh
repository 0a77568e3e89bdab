# shellcheck shell=bash
# bench/lib.sh : what bench/tunnel.sh and bench/compare.sh share: the anchors' helpers (namespaces
# ab-srv/ab-cli, measure(), report(), daemons stopped by PID), and rqst's server and client in them.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ANCHORS_DIR=${ANCHORS_DIR:-$(cd "$ROOT/../shared/bench/anchors" 2>/dev/null && pwd || true)}
[[ -n $ANCHORS_DIR && -f $ANCHORS_DIR/lib.sh ]] || { echo "bench: the anchor scripts are missing (set ANCHORS_DIR)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "bench: needs root" >&2; exit 1; }
export IPERF_CC=${IPERF_CC:-cubic}
# the TCP inside the tunnel: a name iperf3's -C would refuse makes every run NA, so refuse it here
avail_cc=/proc/sys/net/ipv4/tcp_available_congestion_control
grep -qw -- "$IPERF_CC" "$avail_cc" || modprobe -q "tcp_$IPERF_CC" 2>/dev/null || true
grep -qw -- "$IPERF_CC" "$avail_cc" || { echo "bench: IPERF_CC=$IPERF_CC is not a congestion control this kernel has ($(cat "$avail_cc"))" >&2; exit 1; }
WARMUP_S=${WARMUP_S:-8}
# shellcheck source=/dev/null
. "$ANCHORS_DIR/lib.sh"

bench_prepare() { # tools, the jar and its AOT cache, the run directory ($RUN_DIR) and the PKI
  local b
  for b in iperf3 openvpn wireguard-go wg jq bc ethtool; do command -v "$b" >/dev/null || SKIP_SOFTETHER=1 "$ANCHORS_DIR/install-deps.sh" >/dev/null; done
  "$ROOT/rqst" train
  RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results}
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  export RUN_DIR=$RESULTS_DIR/$stamp
  mkdir -p "$RUN_DIR"; : >"$RUN_DIR/runs.tsv"
  ln -sfn "$stamp" "$RESULTS_DIR/latest"
  PKI=$SCRATCH/rqst-pki
  rm -rf "$PKI"; "$ROOT/scripts/throwaway-pki.sh" "$PKI" rqst.bench >/dev/null
  mkdir -p /etc/netns/"$NS_CLI"; echo "$UL_SRV_IP rqst.bench" >/etc/netns/"$NS_CLI"/hosts
}

rqst_server_up() { # [java options] : the server in ab-srv, tunnel address 10.8.0.1/24; RQST_SERVER_JAVA_OPTS adds JVM
  # options, RQST_SERVER_ARGS server-only options (e.g. "--threads 1")
  start_daemon rqst-srv "$NS_SRV" env RQST_JAVA_OPTS="${1:-} ${RQST_SERVER_JAVA_OPTS:-}" sh -c "cd '$PKI/server' && exec '$ROOT/rqst' server ${RQST_ARGS:-} ${RQST_SERVER_ARGS:-} --address 10.8.0.1/24 --state-dir '$SCRATCH/rqst-state'"
  for _ in $(seq 1 150); do grep -q "listening on" "$SCRATCH/logs/rqst-srv.out" 2>/dev/null && break; sleep 0.1; done
  grep -q "listening on" "$SCRATCH/logs/rqst-srv.out" || { cat "$SCRATCH/logs/rqst-srv.out" >&2; die "rqst server did not start"; }
}

rqst_client_up() { # [URL] : the client in ab-cli, 10.8.0.2/24, to vpn://rqst.bench unless told
  start_daemon rqst-cli "$NS_CLI" sh -c "cd '$PKI/client' && exec '$ROOT/rqst' client ${RQST_ARGS:-} --address 10.8.0.2/24 --state-dir '$SCRATCH/rqst-state' ${1:-vpn://rqst.bench}"
}

# ---- ping statistics
ping_times() { grep -o 'time=[0-9.]*' | cut -d= -f2; }
pct() { # pct P < numbers : the P-th percentile (nearest rank)
  sort -g | awk -v p="$1" '{a[NR]=$1} END{ if (NR==0) {print "NA"; exit} i=int((p/100)*NR+0.999); if (i<1) i=1; if (i>NR) i=NR; print a[i] }'
}

jdk_tool() { # jdk_tool PID NAME : the path of the JDK tool NAME (jstat, jcmd) beside the java running as PID
  echo "$(dirname "$(readlink -f "/proc/$1/exe" 2>/dev/null)")/$2"
}

jit_seconds() { # jit_seconds PID... : CPU seconds the JVMs' JIT compilers have spent so far (jstat -compiler), NA if one cannot be read
  local p sum=0 t
  for p in "$@"; do
    t=$("$(jdk_tool "$p" jstat)" -compiler "$p" 2>/dev/null | awk 'NR == 2 {print $4}')
    [[ $t =~ ^[0-9.]+$ ]] || { echo NA; return; }
    sum=$(awk -v a="$sum" -v b="$t" 'BEGIN{print a + b}')
  done
  echo "$sum"
}

# warm_until_settled LABEL WARM_FN PID... : runs WARM_FN (traffic both ways, not measured) once, then
# again while the JVMs' JIT compilers spent more than JIT_QUIET_S seconds during the last round, at most
# WARMUP_MAX_ROUNDS rounds in all: a compiler still busy takes CPU from the data path and the code it
# has not compiled yet runs slower, so a run measured then is part warm-up. Prints the rounds and the
# compile seconds of each round (NA when jstat cannot read a JVM: then all WARMUP_MAX_ROUNDS rounds run);
# $WARMED is "rounds:compile-seconds,...".
JIT_QUIET_S=${JIT_QUIET_S:-0.5}
WARMUP_MAX_ROUNDS=${WARMUP_MAX_ROUNDS:-5}
warm_until_settled() {
  local label=$1 fn=$2 r t0 t1 d rounds=""; shift 2
  t0=$(jit_seconds "$@")
  for r in $(seq 1 "$WARMUP_MAX_ROUNDS"); do
    "$fn"
    t1=$(jit_seconds "$@")
    if [[ $t0 == NA || $t1 == NA ]]; then d=NA  # cannot tell: warm up the whole WARMUP_MAX_ROUNDS
    else d=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}'); fi
    t0=$t1
    rounds="$rounds${rounds:+,}$d"
    [[ $d != NA ]] && awk -v d="$d" -v q="$JIT_QUIET_S" 'BEGIN{exit !(d < q)}' && break
  done
  WARMED="$r:$rounds"
  log "$label warmed up: $r round(s) of traffic both ways, JIT seconds per round $rounds (settled below ${JIT_QUIET_S}s, at most $WARMUP_MAX_ROUNDS rounds)"
}

rqst_warm_round() {
  timeout $((WARMUP_S + 20)) ip netns exec "$NS_CLI" iperf3 -c 10.8.0.1 -p "$IPERF_PORT" -t "$WARMUP_S" -C "$IPERF_CC" >/dev/null 2>&1 || true
  timeout $((WARMUP_S + 20)) ip netns exec "$NS_CLI" iperf3 -c 10.8.0.1 -p "$IPERF_PORT" -t "$WARMUP_S" -C "$IPERF_CC" -R >/dev/null 2>&1 || true
}

rqst_warm() { # the JIT compiles after a few seconds of traffic: warm up until it is done, not measured
  start_daemon iperf3-warm "$NS_SRV" iperf3 -s -p "$IPERF_PORT"; sleep 0.5
  warm_until_settled rqst rqst_warm_round "$(daemon_pid rqst-srv)" "$(daemon_pid rqst-cli)"
  stop_daemon iperf3-warm
}

rqst_up() {
  rqst_server_up
  rqst_client_up
  wait_reachable 10.8.0.1 30 || { cat "$SCRATCH/logs/rqst-"*.out >&2; die "rqst tunnel 10.8.0.1 unreachable"; }
  rqst_warm
  log "rqst up: $(grep -h 'connected to\|listening on' "$SCRATCH/logs/rqst-srv.out" "$SCRATCH/logs/rqst-cli.out" | tr '\n' ' ')"
}

rqst_down() { stop_daemon rqst-cli; stop_daemon rqst-srv; }

anchors_cleanup() {
  rqst_down
  "$ANCHORS_DIR/openvpn.sh" down >/dev/null 2>&1 || true
  "$ANCHORS_DIR/wireguard-go.sh" down >/dev/null 2>&1 || true
  "$ANCHORS_DIR/netns.sh" down || true
  rm -rf /etc/netns/"$NS_CLI" # the client's hosts file (bench_prepare, wan.sh)
}

measure_scenario() { # measure_scenario NAME : brings NAME up, runs the anchors' measure(), leaves it up
  case $1 in
    rqst) rqst_up; measure rqst 10.8.0.1 rqst-srv rqst-cli rqst0
          printf 'warmup_rounds_jit_s\t%s\n' "$WARMED" >>"$RUN_DIR/rqst/meta.tsv" ;;
    ovpn-tap|ovpn-tun) "$ANCHORS_DIR/openvpn.sh" up "${1#ovpn-}"; measure "$1" "$OVPN_SRV_IP" ovpn-srv ovpn-cli abovpn0 ;;
    wg-go) "$ANCHORS_DIR/wireguard-go.sh" up; measure "$1" "$WG_SRV_IP" wg-srv wg-cli abwg-c ;;
    *) die "unknown scenario $1 (rqst ovpn-tap ovpn-tun wg-go)" ;;
  esac
}

scenario_ip() { case $1 in rqst) echo 10.8.0.1 ;; ovpn-*) echo "$OVPN_SRV_IP" ;; wg-go) echo "$WG_SRV_IP" ;; esac; }

scenario_down() {
  case $1 in
    rqst) cp "$SCRATCH/logs/rqst-srv.out" "$RUN_DIR/rqst/server.log" 2>/dev/null || true
          cp "$SCRATCH/logs/rqst-cli.out" "$RUN_DIR/rqst/client.log" 2>/dev/null || true
          rqst_down ;;
    ovpn-*) "$ANCHORS_DIR/openvpn.sh" down ;;
    wg-go) "$ANCHORS_DIR/wireguard-go.sh" down ;;
  esac
}

median_of() { awk -F'\t' -v s="$1" -v d="$2" '$1==s && $2==d && $4!="NA"{print $4}' "$RUN_DIR/runs.tsv" | median3; }
# spread_of SETUP DIR : "MIN MAX" of that setup's runs in that direction (Mbit/s), or nothing
spread_of() { awk -F'\t' -v s="$1" -v d="$2" '$1==s && $2==d && $4!="NA"{v=$4+0; if (n==0 || v<mn) mn=v; if (n==0 || v>mx) mx=v; n++} END{if (n) print mn, mx}' "$RUN_DIR/runs.tsv"; }

run_header() { # the lines every summary starts with
  echo "- host: $(uname -r), $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- rqst $(git -C "$ROOT" describe --always --dirty 2>/dev/null)${RQST_ARGS:+ with $RQST_ARGS}${RQST_SERVER_ARGS:+, server with $RQST_SERVER_ARGS}; $(grep -h "listening on" "$RUN_DIR"/rqst/server.log 2>/dev/null | cut -d" " -f4- | head -1)"
  echo "- iperf3: 1 TCP stream, -t $IPERF_T, $IPERF_RUNS runs per direction, interleaved, congestion control $IPERF_CC; rqst warmed up first with rounds of ${WARMUP_S}s each way until its JIT compilers spent under ${JIT_QUIET_S}s in a round (at most $WARMUP_MAX_ROUNDS rounds)"
  echo "- ping: -c $PING_COUNT -i $PING_INTERVAL on the idle tunnel; measurement method and CPU guard: the anchors' lib.sh"
}
