#!/usr/bin/env bash
# bench/compare.sh : rqst against OpenVPN tap and wireguard-go (the anchors' setups) in one run, on this machine, and
# rqst's own targets (issue 5). Writes bench/results/<UTC stamp>/summary.md (bench/results/latest -> it)
# and prints it.
#
#   per setup (rqst, ovpn-tap, wg-go): 1 TCP stream each direction, IPERF_RUNS runs (median), CPU of the VPN
#     daemons per Gbit/s; ping on the idle tunnel (the anchors' 20 pings, and PING_N more for p50/p99);
#     ping while one TCP stream loads the tunnel, each direction (p50/p99 of 2 x PING_N);
#   rqst only: time from starting a client to its first ping answered (FIRST_RUNS runs, server up);
#     MULTI_N clients at once, each in its own namespace with its own veth, one TCP stream each:
#     aggregate Mbit/s per direction (median of IPERF_RUNS interleaved runs), server run with -Xmx${SERVER_XMX}, its peak heap in use (jstat).
#     Then (MULTI_FAN) the same streams from one sender and one receiver process (bench/tcp-fan), all
#     clients and one alone: the ratio with the traffic generator's own cost held constant.
#   Env: IPERF_T (10) IPERF_RUNS (3) IPERF_CC (cubic) WARMUP_S (8) WARMUP_MAX_ROUNDS (5) JIT_QUIET_S (0.5)
#        PING_N (100) FIRST_RUNS (5)
#        MULTI_N (16, 0 skips) MULTI_MODE (fleet or processes, see multi()) MULTI_LOOPS (1) MULTI_WARMUP_S (WARMUP_S) SERVER_XMX (256m) ANCHORS_DIR RESULTS_DIR
#        MULTI_SOLO (1: after each run of all MULTI_N clients, one of them alone, for the ratio in the same minute; 0 skips)
#        MULTI_FAN (1: after that, the same clients' streams from one sender and one receiver process, bench/tcp-fan,
#          all MULTI_N and then one of them alone; 16 iperf3 pairs are 32 processes on the box's CPUs, one stream
#          is two, so this holds the traffic generator's cost constant between the two figures; 0 skips)
#        SETUPS ("rqst ovpn-tap wg-go"; e.g. SETUPS= MULTI_N=16 runs only the multi-client part)
#        RQST_ARGS (options for every rqst server and client, the fleet's clients too, e.g. "--rx-aqm on"; named in the summary)
#        RQST_SERVER_ARGS (options for the rqst server only, e.g. "--threads 1")
#        RQST_SERVER_JAVA_OPTS, RQST_FLEET_JAVA_OPTS (JVM options for the server, for the 16 clients' load generator)
#   Needs root; uses the anchors' namespaces ab-srv/ab-cli and ab-rq1..N; removes all of them on exit.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
PING_N=${PING_N:-100}
FIRST_RUNS=${FIRST_RUNS:-5}
MULTI_N=${MULTI_N:-16}
SERVER_XMX=${SERVER_XMX:-256m}
MULTI_WARMUP_S=${MULTI_WARMUP_S:-$WARMUP_S}
MULTI_MODE=${MULTI_MODE:-fleet}
MULTI_LOOPS=${MULTI_LOOPS:-1}
MULTI_SOLO=${MULTI_SOLO:-1}
MULTI_FAN=${MULTI_FAN:-1}
FAN_PORT=5400
[[ $MULTI_MODE == fleet || $MULTI_MODE == processes ]] || die "MULTI_MODE must be fleet or processes, not $MULTI_MODE"
[[ $MULTI_SOLO == 0 || $MULTI_SOLO == 1 ]] || die "MULTI_SOLO must be 0 or 1, not $MULTI_SOLO"
[[ $MULTI_FAN == 0 || $MULTI_FAN == 1 ]] || die "MULTI_FAN must be 0 or 1, not $MULTI_FAN"
JAVA_BIN=${RQST_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
SETUPS=${SETUPS-rqst ovpn-tap wg-go}

fleet_alive() { kill -0 "$(cat "$PIDDIR/rqst-fleet.pid" 2>/dev/null)" 2>/dev/null; }
FLEET_STARTED=   # set once this run starts the fleet: the log in $SCRATCH may be an earlier run's
multi_down() {
  local i ns
  stop_daemon rqst-fleet
  # the load generator's log, kept with the run (its TAPs, sessions and any error), also when the phase failed
  if [[ -n $FLEET_STARTED && -f $SCRATCH/logs/rqst-fleet.out ]]; then
    mkdir -p "$RUN_DIR/rqst-multi" && cp "$SCRATCH/logs/rqst-fleet.out" "$RUN_DIR/rqst-multi/fleet.log" || true
  fi
  for i in $(seq 1 "$MULTI_N"); do stop_daemon "rqst-m$i"; stop_daemon "iperf3-m$i"; done
  # every client namespace, not only this run's MULTI_N: also those of a run killed before its trap ran (SIGKILL,
  # a lost session), with whatever still runs in them (a load generator, iperf3), which would take CPU from this run
  for ns in $(ip netns list | awk '$1 ~ /^ab-rq/ {print $1}'); do
    kill_ns_pids "$ns"; ip netns del "$ns" 2>/dev/null || true; rm -rf "/etc/netns/$ns"
  done
}
cleanup() { multi_down; anchors_cleanup; }

bench_prepare
T0=$(date +%s)
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- ping statistics: ping_times and pct are in lib.sh

# latency <scenario> : idle p50/p99, then p50/p99 while one TCP stream runs each way
latency() {
  local sc=$1 ip; ip=$(scenario_ip "$1")
  local d=$RUN_DIR/$sc
  wait_quiet >/dev/null
  timeout 60 ip netns exec "$NS_CLI" ping -c "$PING_N" -i "$PING_INTERVAL" "$ip" >"$d/ping-idle.txt" 2>&1 || true
  start_daemon "iperf3-lat-$sc" "$NS_SRV" iperf3 -s -p "$IPERF_PORT"; sleep 0.5
  : >"$d/ping-load.txt"
  local dir
  for dir in c2s s2c; do
    local rflag=""; [[ $dir == s2c ]] && rflag="-R"
    local dur; dur=$(awk -v n="$PING_N" -v i="$PING_INTERVAL" 'BEGIN{printf "%d", n*i + 5}')
    timeout $((dur + 30)) ip netns exec "$NS_CLI" iperf3 -c "$ip" -p "$IPERF_PORT" -t "$dur" $rflag -C "$IPERF_CC" -J \
      >"$d/iperf-load-$dir.json" 2>&1 &
    local ip3=$!
    sleep 2
    timeout 60 ip netns exec "$NS_CLI" ping -c "$PING_N" -i "$PING_INTERVAL" "$ip" >"$d/ping-load-$dir.txt" 2>&1 || true
    wait $ip3 || true
    cat "$d/ping-load-$dir.txt" >>"$d/ping-load.txt"
    sleep 1
  done
  stop_daemon "iperf3-lat-$sc"
  {
    printf 'idle_p50\t%s\n' "$(ping_times <"$d/ping-idle.txt" | pct 50)"
    printf 'idle_p99\t%s\n' "$(ping_times <"$d/ping-idle.txt" | pct 99)"
    printf 'load_p50\t%s\n' "$(ping_times <"$d/ping-load.txt" | pct 50)"
    printf 'load_p99\t%s\n' "$(ping_times <"$d/ping-load.txt" | pct 99)"
    printf 'load_lost\t%s\n' "$(( 2 * PING_N - $(ping_times <"$d/ping-load.txt" | wc -l) ))"
    local dirn
    for dirn in c2s s2c; do
      printf 'load_mbps_%s\t%s\n' "$dirn" "$(jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "$d/iperf-load-$dirn.json" 2>/dev/null || echo NA)"
    done
  } >"$d/latency.tsv"
  log "$sc latency: $(tr '\n' ' ' <"$d/latency.tsv")"
}

# tunnel_loss : when the one-client phase's client has stopped, the frames each end says it sent and the
# other says it received (their "closed" / "disconnected" lines), and QUIC's lost packets, into rqst/meta.tsv.
# A frame sent but not received was lost on the way: in quiche's full datagram queue at the sender (Netty then
# discards the rest of that flush, uncounted), in a lost QUIC packet, or at the receiver.
tunnel_loss() {
  local d=$RUN_DIR/rqst cli srv
  cli=$(grep -h "INFO disconnected from" "$SCRATCH/logs/rqst-cli.out" 2>/dev/null | tail -1)
  srv=$(grep -h "INFO session .* closed: " "$SCRATCH/logs/rqst-srv.out" 2>/dev/null | tail -1)
  [[ -n $cli && -n $srv ]] || { log "tunnel loss: no closing lines in the logs"; return 0; }
  frames() { sed -n "s/.*[ (]$1 \([0-9]*\) frames\/.*/\1/p" <<<"$2"; }
  quic() { sed -n "s/.*QUIC \([0-9]*\) packets sent, \([0-9]*\) lost.*/\\$1/p" <<<"$2"; }
  {
    printf 'tunnel_c2s_sent\t%s\ntunnel_c2s_received\t%s\n' "$(frames out "$cli")" "$(frames in "$srv")"
    printf 'tunnel_s2c_sent\t%s\ntunnel_s2c_received\t%s\n' "$(frames out "$srv")" "$(frames in "$cli")"
    printf 'quic_cli_sent\t%s\nquic_cli_lost\t%s\n' "$(quic 1 "$cli")" "$(quic 2 "$cli")"
    printf 'quic_srv_sent\t%s\nquic_srv_lost\t%s\n' "$(quic 1 "$srv")" "$(quic 2 "$srv")"
  } >>"$d/meta.tsv"
  log "tunnel loss: client: $cli; server: $srv"
}

# first_ping : ms from starting `rqst client` to its first answered ping (server already up)
first_ping() {
  local d=$RUN_DIR/rqst r; : >"$d/first-ping.txt"
  stop_daemon rqst-cli
  tunnel_loss
  for r in $(seq 1 "$FIRST_RUNS"); do
    sleep 1; wait_quiet >/dev/null
    local t0 t1 ok=""
    t0=$(date +%s%N)
    rqst_client_up
    while (( $(date +%s%N) - t0 < 30000000000 )); do   # until answered, at most 30 s
      ip netns exec "$NS_CLI" ping -c1 -W0.2 -q 10.8.0.1 >/dev/null 2>&1 && { ok=1; break; }
    done
    t1=$(date +%s%N)
    [[ -n $ok ]] && echo $(( (t1 - t0) / 1000000 )) >>"$d/first-ping.txt"
    stop_daemon rqst-cli
  done
  log "first ping after (ms): $(tr '\n' ' ' <"$d/first-ping.txt")"
}

# steal_mark NAME : notes the machine's CPU time and the part the hypervisor stole (/proc/stat), so that
# the summary can say how much of each phase this VM did not get (other tenants' load moves the numbers)
steal_mark() { awk -v n="$1" '/^cpu /{t=0; for (i=2;i<=9;i++) t+=$i; print n "\t" $9 "\t" t}' /proc/stat >>"$RUN_DIR/steal.tsv"; }
steal_pct() { # steal_pct FROM TO : % of CPU time stolen between two marks
  awk -F'\t' -v a="$1" -v b="$2" '$1==a{s0=$2; t0=$3} $1==b{s1=$2; t1=$3} END{ if (t1>t0) printf "%.0f", 100*(s1-s0)/(t1-t0); else print "NA"}' "$RUN_DIR/steal.tsv"
}

proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system clock ticks of a process

# multi : MULTI_N clients, one namespace each (ab-rqI, tunnel address 10.8.0.(100+I)); the server with
# -Xmx$SERVER_XMX. MULTI_MODE=fleet: the clients are one JVM (the load generator io.rqst.bench.ClientFleet:
# MULTI_N complete VpnClients, each with its own QUIC connection and TAP, on MULTI_LOOPS (1) event loops —
# one, as the single client of the one-stream run has, so that the client side may take at most one of the
# box's two cores in both runs (2: as if two machines held eight clients each; 0: a loop per client; see
# RESULTS.md 2026-11-22 15:40), in namespace ab-rqf, and each TAP is moved
# into its client's namespace; MULTI_MODE=processes: MULTI_N `rqst client` processes,
# each in its client's namespace. On a 2-core box the fleet measures the server; the processes measure
# MULTI_N cold JVMs sharing the box's two cores with everything else.
multi_ns() { # multi_ns I NET : namespace ab-rqI, a veth to the server's namespace, NET.1 there and NET.2 here
  local i=$1 net=$2 ns=ab-rq$1
  ip netns del "$ns" 2>/dev/null || true; ip netns add "$ns"; ip -n "$ns" link set lo up
  ip link add "rqm-s$i" netns "$NS_SRV" type veth peer name "rqm-c$i" netns "$ns"
  ip -n "$NS_SRV" addr add "$net.1/24" dev "rqm-s$i"; ip -n "$ns" addr add "$net.2/24" dev "rqm-c$i"
  ip -n "$NS_SRV" link set "rqm-s$i" up; ip -n "$ns" link set "rqm-c$i" up
  mkdir -p "/etc/netns/$ns"; echo "$net.1 rqst.bench" >"/etc/netns/$ns/hosts"
}
# await_own_sockets ADDR : waits until a wildcard server has bound ADDR itself (it finds a new address within 5 s), so
# that the clients to come connect to that address's complete set of sockets: before, their first packets went to
# the wildcard socket, or to the first of the address's sockets while the next was being bound, and such a
# connection's packets are handed from socket to socket for its whole life (bench/RESULTS.md 2026-11-25 01:45)
await_own_sockets() {
  local a=$1 log=$SCRATCH/logs/rqst-srv.out
  grep -q "listening on \[\[::\]\|listening on \[0\.0\.0\.0" "$log" 2>/dev/null || return 0 # a --listen server: nothing to wait for
  for _ in $(seq 1 100); do
    grep -q "listening on $a:[0-9]* too" "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  log "multi: the server did not bind $a within 10 s; its clients go to its wildcard socket"
}
multi() {
  local d=$RUN_DIR/rqst-multi i; mkdir -p "$d"
  if ((MULTI_FAN)); then
    "$ROOT/scripts/deps.sh" >/dev/null # gcc
    gcc -O2 -Wall -o "$SCRATCH/tcp-fan" "$ROOT/bench/tcp-fan.c" || die "multi: cannot build bench/tcp-fan.c"
  fi
  printf 'mode\t%s\n' "$MULTI_MODE" >"$d/multi.tsv"
  rqst_down
  rqst_server_up "-Xmx$SERVER_XMX"
  for i in $(seq 1 "$MULTI_N"); do
    multi_ns "$i" "10.96.$i"
    start_daemon "iperf3-m$i" "$NS_SRV" iperf3 -s -p $((5300 + i))
  done
  if [[ $MULTI_MODE == fleet ]]; then
    # the load generator is a test class
    (cd "$ROOT" && JAVA_HOME=${JAVA_BIN%/bin/java} MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" mvn -B -q test-compile >"$d/test-compile.log" 2>&1) \
      || { tail -20 "$d/test-compile.log" >&2; die "multi: cannot compile the load generator (mvn test-compile)"; }
    multi_ns f 10.97.0   # ab-rqf: where the fleet's UDP sockets live
    await_own_sockets 10.97.0.1
    # the launcher's JIT options (it does not start the fleet) and RQST_ARGS, as every rqst client gets them
    local jit; jit=$("$ROOT/rqst" jvm-options | sed "s/.*/'&'/" | tr '\n' ' ') || die "multi: rqst jvm-options failed"
    FLEET_STARTED=1
    start_daemon rqst-fleet ab-rqf sh -c "cd '$PKI/client' && exec '$JAVA_BIN' --enable-native-access=ALL-UNNAMED \
      -Dio.netty.leakDetection.level=disabled -Djava.library.path='$ROOT/target/native' -Xmx512m $jit ${RQST_FLEET_JAVA_OPTS:-} \
      -cp '$ROOT/target/rqst.jar:$ROOT/target/test-classes' io.rqst.bench.ClientFleet $MULTI_N vpn://rqst.bench rqf '$SCRATCH/rqst-state-fleet' $MULTI_LOOPS ${RQST_ARGS:-}"
    for i in $(seq 1 "$MULTI_N"); do
      local tap=""
      for _ in $(seq 1 300); do
        ip -n ab-rqf link show "rqf$i" >/dev/null 2>&1 && { tap=1; break; }
        # a fleet that exited (a bad RQST_FLEET_JAVA_OPTS, say) will not bring its TAPs: fail now, not after 30 s
        fleet_alive || break
        sleep 0.1
      done
      [[ -n $tap ]] || { tail -5 "$SCRATCH/logs/rqst-fleet.out" >&2; die "multi: the fleet's TAP rqf$i did not appear"; }
      ip -n ab-rqf link set "rqf$i" netns "ab-rq$i" 2>/dev/null \
        || { tail -20 "$SCRATCH/logs/rqst-fleet.out" >&2; die "multi: the fleet's TAP rqf$i went away before it could be moved to ab-rq$i (fleet alive: $(fleet_alive && echo yes || echo no))"; }
      ip -n "ab-rq$i" addr add "10.8.0.$((100 + i))/24" dev "rqf$i"; ip -n "ab-rq$i" link set "rqf$i" up
    done
  else
    await_own_sockets "10.96.$MULTI_N.1" # one scan binds every address it finds: the last one made is enough
    for i in $(seq 1 "$MULTI_N"); do
      start_daemon "rqst-m$i" "ab-rq$i" env RQST_JAVA_OPTS="-Xmx128m" sh -c \
        "cd '$PKI/client' && exec '$ROOT/rqst' client ${RQST_ARGS:-} --address 10.8.0.$((100 + i))/24 --state-dir '$SCRATCH/rqst-state-m$i' vpn://rqst.bench"
      sleep 0.3
    done
  fi
  for i in $(seq 1 "$MULTI_N"); do
    local up=""
    for _ in $(seq 1 60); do ip netns exec "ab-rq$i" ping -c1 -W1 -q 10.8.0.1 >/dev/null 2>&1 && { up=1; break; }; sleep 0.5; done
    [[ -n $up ]] || { tail -5 "$SCRATCH/logs/rqst-m$i.out" "$SCRATCH/logs/rqst-fleet.out" 2>/dev/null >&2; die "multi: client $i did not come up"; }
  done
  log "multi: $MULTI_N clients up; warming up"
  local srv; srv=$(daemon_pid rqst-srv)
  local jstat; jstat=$(jdk_tool "$srv" jstat)
  par_iperf() { # par_iperf <seconds> <dir> <json prefix or -> [clients, default all: the first N]
    local t=$1 dir=$2 out=$3 n=${4:-$MULTI_N} rflag="" k pids=()
    [[ $dir == s2c ]] && rflag="-R"
    for k in $(seq 1 "$n"); do
      if [[ $out == - ]]; then
        timeout $((t + 30)) ip netns exec "ab-rq$k" iperf3 -c 10.8.0.1 -p $((5300 + k)) -t "$t" $rflag -C "$IPERF_CC" >/dev/null 2>&1 &
      else
        timeout $((t + 30)) ip netns exec "ab-rq$k" iperf3 -c 10.8.0.1 -p $((5300 + k)) -t "$t" $rflag -C "$IPERF_CC" -J >"$out-$k.json" 2>&1 &
      fi
      pids+=($!)
    done
    wait "${pids[@]}" || true
  }
  fan_run() { # fan_run <seconds> <dir> <clients: the first N> <out> : their N streams from one process per side (bench/tcp-fan)
    local t=$1 dir=$2 n=$3 out=$4 k nss=() role_srv=recv role_cli=send lp
    [[ $dir == s2c ]] && { role_srv=send; role_cli=recv; }
    for k in $(seq 1 "$n"); do nss+=("ab-rq$k"); done
    ip netns exec "$NS_SRV" timeout $((t + 30)) "$SCRATCH/tcp-fan" listen "$FAN_PORT" "$n" "$role_srv" "$t" "$IPERF_CC" >"$out.srv" 2>&1 &
    lp=$!
    for _ in $(seq 1 50); do ip netns exec "$NS_SRV" ss -Hltn "sport = :$FAN_PORT" | grep -q . && break; sleep 0.1; done
    # a connect side that failed leaves the listener in accept: stop it rather than wait out its timeout
    timeout $((t + 30)) "$SCRATCH/tcp-fan" connect 10.8.0.1 "$FAN_PORT" "$role_cli" "$t" "$IPERF_CC" "${nss[@]}" >"$out.cli" 2>&1 \
      || kill "$lp" 2>/dev/null || true
    wait "$lp" 2>/dev/null || true
    grep -h '^streams=' "$out.srv" "$out.cli" | head -1 >"$out" || true
    [[ -s $out ]] || log "multi: tcp-fan ($n clients, $dir) gave no result; it said: $(tail -n 2 "$out.srv" "$out.cli" 2>/dev/null | grep -v '^==>' | tr '\n' ' ')"
  }
  fan_fields() { # fan_fields FILE : "MBPS MIN MAX" from tcp-fan's line, 0 0 0 if it gave none
    awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}} END{print v["mbps"] + 0, v["min_mbps"] + 0, v["max_mbps"] + 0}' "$1" 2>/dev/null || echo "0 0 0"
  }
  # cores the server used since its CPU ticks were CPU0, over one IPERF_T run
  server_cores_since() { awk -v a="$1" -v b="$(proc_cpu_ticks "$srv")" -v t="$IPERF_T" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz/t}'; }
  multi_warm_round() { par_iperf "$MULTI_WARMUP_S" c2s -; par_iperf "$MULTI_WARMUP_S" s2c -; }
  local jvms=("$srv"); [[ $MULTI_MODE == fleet ]] && jvms+=("$(daemon_pid rqst-fleet)")
  warm_until_settled "multi: $MULTI_N clients" multi_warm_round "${jvms[@]}"
  printf 'warmup_rounds_jit_s\t%s\n' "$WARMED" >>"$d/multi.tsv"
  # peak heap in use (young + old) while measuring, sampled by jstat every 500 ms
  "$jstat" -gc "$srv" 500 >"$d/jstat.txt" 2>&1 &
  local js=$!
  # IPERF_RUNS runs per direction, interleaved (c2s1 s2c1 c2s2 ...) like the single-client phase; the
  # table takes each direction's median run (aggregate Mbit/s), with that run's spread and server CPU
  local dir run
  for run in $(seq 1 "$IPERF_RUNS"); do
    for dir in c2s s2c; do
      wait_quiet >/dev/null
      local cpu0; cpu0=$(proc_cpu_ticks "$srv")
      par_iperf "$IPERF_T" "$dir" "$d/iperf-$dir-$run"
      local cores; cores=$(server_cores_since "$cpu0")
      local sum nz mn mx # aggregate, clients moving data, slowest and fastest client (Mbit/s)
      read -r sum nz mn mx < <(cat "$d"/iperf-"$dir"-"$run"-*.json | jq -rs '[.[].end.sum_received.bits_per_second // 0]
        | "\(add / 1e6 | floor) \(map(select(. > 0)) | length) \(min / 1e6 | floor) \(max / 1e6 | floor)"')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$dir" "$run" "$sum" "$nz" "$mn" "$mx" "$cores" >>"$d/multi-runs.tsv"
      log "multi $dir run $run: $sum Mbit/s aggregate ($nz/$MULTI_N clients moving data, per client $mn..$mx), server $cores cores"
      if ((MULTI_SOLO)); then
        # the first client alone, right after: one client's rate in the same minute, through the same server and
        # load generator (the one-stream phase ran minutes earlier, and this box's speed drifts)
        wait_quiet >/dev/null
        par_iperf "$IPERF_T" "$dir" "$d/solo-$dir-$run" 1
        local solo; solo=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor' "$d/solo-$dir-$run-1.json" 2>/dev/null || echo 0)
        printf '%s\t%s\t%s\n' "$dir" "$run" "$solo" >>"$d/solo-runs.tsv"
        log "multi $dir run $run: client 1 alone $solo Mbit/s"
      fi
      if ((MULTI_FAN)); then
        # the same clients, and then the first alone, with one sender and one receiver process (bench/tcp-fan)
        local n cf mb fmin fmax
        for n in "$MULTI_N" 1; do
          wait_quiet >/dev/null
          cpu0=$(proc_cpu_ticks "$srv")
          fan_run "$IPERF_T" "$dir" "$n" "$d/fan$n-$dir-$run.txt"
          cf=$(server_cores_since "$cpu0")
          read -r mb fmin fmax < <(fan_fields "$d/fan$n-$dir-$run.txt")
          printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$dir" "$run" "$mb" "$fmin" "$fmax" "$cf" >>"$d/fan-runs.tsv"
          log "multi $dir run $run: tcp-fan, $n client(s): $mb Mbit/s ($fmin..$fmax per stream), server $cf cores"
        done
      fi
    done
  done
  if ((MULTI_SOLO)); then
    for dir in c2s s2c; do
      printf 'solo_%s\t%s\nsolo_runs_%s\t%s\n' "$dir" "$(awk -F'\t' -v d="$dir" '$1 == d {print $3}' "$d/solo-runs.tsv" | median3)" \
        "$dir" "$(awk -F'\t' -v d="$dir" '$1 == d {printf "%s%s", s, $3; s=" "}' "$d/solo-runs.tsv")" >>"$d/multi.tsv"
    done
  fi
  if ((MULTI_FAN)); then
    local n
    for dir in c2s s2c; do
      for n in "$MULTI_N" 1; do
        printf 'fan%s_%s\t%s\nfan%s_runs_%s\t%s\nfan%s_cores_%s\t%s\n' \
          "$n" "$dir" "$(awk -F'\t' -v n="$n" -v d="$dir" '$1 == n && $2 == d {print $4}' "$d/fan-runs.tsv" | median3)" \
          "$n" "$dir" "$(awk -F'\t' -v n="$n" -v d="$dir" '$1 == n && $2 == d {printf "%s%s", s, $4; s=" "}' "$d/fan-runs.tsv")" \
          "$n" "$dir" "$(awk -F'\t' -v n="$n" -v d="$dir" '$1 == n && $2 == d {print $7}' "$d/fan-runs.tsv" | median3)" >>"$d/multi.tsv"
      done
    done
  fi
  for dir in c2s s2c; do
    # the median run by aggregate (IPERF_RUNS odd: the middle one; even: the lower middle)
    local med; med=$(awk -F'\t' -v d="$dir" '$1 == d' "$d/multi-runs.tsv" | sort -t$'\t' -k3,3n | awk -v n="$IPERF_RUNS" 'NR == int((n + 1) / 2)')
    local all; all=$(awk -F'\t' -v d="$dir" '$1 == d {printf "%s%s", s, $3; s=" "}' "$d/multi-runs.tsv")
    IFS=$'\t' read -r _ _ sum nz mn mx cores <<<"$med"
    printf 'agg_%s\t%s\nagg_runs_%s\t%s\nclients_moving_%s\t%s\nper_client_min_%s\t%s\nper_client_max_%s\t%s\nserver_cores_%s\t%s\n' \
      "$dir" "$sum" "$dir" "$all" "$dir" "$nz" "$dir" "$mn" "$dir" "$mx" "$dir" "$cores" >>"$d/multi.tsv"
    log "multi $dir: median $sum Mbit/s aggregate of runs $all"
  done
  kill "$js" 2>/dev/null || true; wait "$js" 2>/dev/null || true
  # jstat -gc columns: S0C S1C S0U S1U EC EU OC OU ...: in use = S0U + S1U + EU + OU (KB)
  local peak; peak=$(awk '$1 ~ /^[0-9.]+$/ {u=$3+$4+$6+$8; if (u>m) m=u} END{printf "%.0f", m/1024}' "$d/jstat.txt")
  printf 'server_heap_peak_mb\t%s\nserver_xmx\t%s\nserver_rss_mb\t%s\n' "$peak" "$SERVER_XMX" \
    "$(awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$srv/status")" >>"$d/multi.tsv"
  grep -h "session" "$SCRATCH/logs/rqst-srv.out" | tail -3 >"$d/server-tail.log" || true
  cp "$SCRATCH/logs/rqst-srv.out" "$d/server.log"
  multi_down
  rqst_down
}

multi_down
"$ANCHORS_DIR/netns.sh" up
steal_mark start
for sc in $SETUPS; do
  steal_mark "$sc"
  log "===== $sc"
  measure_scenario "$sc"
  latency "$sc"
  [[ $sc == rqst ]] && first_ping
  scenario_down "$sc"
done
steal_mark multi
if (( MULTI_N > 0 )); then log "===== rqst, $MULTI_N clients"; multi; fi
steal_mark end
T1=$(date +%s)
for sc in rqst ovpn-tap; do mkdir -p "$RUN_DIR/$sc"; touch "$RUN_DIR/$sc/meta.tsv" "$RUN_DIR/$sc/latency.tsv"; done
touch "$RUN_DIR/rqst/first-ping.txt"   # a partial run (SETUPS) still writes its summary

# ---- summary
lat() { meta_get "$RUN_DIR/$1/latency.tsv" "$2"; }
server_cpu_per_gbit() { # server_cpu_per_gbit DIR : cores the rqst server used per Gbit/s carried, one client, runs of DIR
  awk -F'\t' -v d="$1" '$1=="rqst" && $2==d && $4!="NA" && $8!="NA" {c+=$8/100; g+=$4/1000}
    END{ if (g>0) printf "%.2f", c/g; else print "NA"}' "$RUN_DIR/runs.tsv"
}
per_gbit() { awk -v c="$1" -v m="$2" 'BEGIN{ if (c != "" && m > 0) printf "%.2f", c / (m / 1000); else print "NA"}'; } # per_gbit CORES MBIT/S
cpu_per_gbit() { # cores used by both VPN daemons per Gbit/s carried, over all runs of a setup
  awk -F'\t' -v s="$1" '$1==s && $4!="NA" && $8!="NA" && $9!="NA" {c+=($8+$9)/100; g+=$4/1000; n++}
    END{ if (n && g>0) printf "%.2f", c/g; else print "NA"}' "$RUN_DIR/runs.tsv"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a!="NA" && b!="NA" && b>0) printf "%.2f", a/b; else print "NA"}'; }
verdict() { [[ $1 == 1 ]] && echo "**met**" || echo "not met"; }
{
  echo "# rqst vs OpenVPN tap, $stamp"
  echo
  run_header
  echo "- latency: ping -i $PING_INTERVAL, $PING_N on the idle tunnel, then $PING_N while one TCP stream runs c2s and $PING_N while it runs s2c"
  echo "- wall time: $((T1 - T0)) s; CPU time taken by the hypervisor (steal, other tenants): $(steal_pct start end)% of the run$(for sc in $SETUPS; do nx=$(awk -v s="$sc" 'f{print; exit} $0==s{f=1}' <<<"$(printf '%s\n' $SETUPS multi)"); printf ', %s %s%%' "$sc" "$(steal_pct "$sc" "$nx")"; done), multi $(steal_pct multi end)% (more than a few % makes the run noisy)"
  echo
  echo "| setup | c2s Mbit/s (median) | s2c Mbit/s (median) | idle ping avg ms (20) | idle ping p50 / p99 ms | loaded ping p50 / p99 ms | loaded p99 / idle p50 | VPN CPU, cores per Gbit/s |"
  echo "|---|---|---|---|---|---|---|---|"
  for sc in $SETUPS; do
    echo "| $sc | $(median_of "$sc" c2s) | $(median_of "$sc" s2c) | $(meta_get "$RUN_DIR/$sc/meta.tsv" ping_avg_ms) | $(lat "$sc" idle_p50) / $(lat "$sc" idle_p99) | $(lat "$sc" load_p50) / $(lat "$sc" load_p99) | $(ratio "$(lat "$sc" load_p99)" "$(lat "$sc" idle_p50)") | $(cpu_per_gbit "$sc") |"
  done
  echo
  rc2s=$(ratio "$(median_of rqst c2s)" "$(median_of ovpn-tap c2s)"); rs2c=$(ratio "$(median_of rqst s2c)" "$(median_of ovpn-tap s2c)")
  echo "**rqst / OpenVPN tap: c2s ${rc2s}x, s2c ${rs2c}x**"
  echo
  fp=$(median3 <"$RUN_DIR/rqst/first-ping.txt")
  echo "- first ping after client start, ms: $(tr '\n' ' ' <"$RUN_DIR/rqst/first-ping.txt")(median $fp)"
  echo "- rqst (one client) warm-up rounds:JIT seconds per round: $(meta_get "$RUN_DIR/rqst/meta.tsv" warmup_rounds_jit_s)"
  m=$RUN_DIR/rqst/meta.tsv
  lost_pct() { awk -v s="$1" -v r="$2" 'BEGIN{ if (s > 0 && r != "") printf "%d of %d frames (%.2f %%)", s - r, s, 100 * (s - r) / s; else print "NA"}'; }
  echo "- rqst (one client) frames lost inside the tunnel over its whole phase (warm-up, runs, loaded pings; each end's count when the client stopped): c2s $(lost_pct "$(meta_get "$m" tunnel_c2s_sent)" "$(meta_get "$m" tunnel_c2s_received)"), s2c $(lost_pct "$(meta_get "$m" tunnel_s2c_sent)" "$(meta_get "$m" tunnel_s2c_received)"); QUIC packets declared lost: client $(meta_get "$m" quic_cli_lost) of $(meta_get "$m" quic_cli_sent), server $(meta_get "$m" quic_srv_lost) of $(meta_get "$m" quic_srv_sent) (a lost packet held one full-size frame or a few small ones; frames lost beyond those were dropped at the sender, where quiche's datagram queue was full)"
  m=$RUN_DIR/rqst-multi/multi.tsv
  if [[ -f $m ]]; then
    echo "- $MULTI_N clients at once ($(meta_get "$m" mode): $( [[ $(meta_get "$m" mode) == fleet ]] && echo "one load-generator JVM holding $MULTI_N VpnClients on $MULTI_LOOPS event loop$( ((MULTI_LOOPS == 1)) || echo s), each its own QUIC connection and TAP in its own namespace" || echo "$MULTI_N rqst client processes")): aggregate c2s $(meta_get "$m" agg_c2s) Mbit/s (median of runs $(meta_get "$m" agg_runs_c2s); $(meta_get "$m" clients_moving_c2s) moving, $(meta_get "$m" per_client_min_c2s)..$(meta_get "$m" per_client_max_c2s) each), s2c $(meta_get "$m" agg_s2c) Mbit/s (median of runs $(meta_get "$m" agg_runs_s2c); $(meta_get "$m" clients_moving_s2c) moving, $(meta_get "$m" per_client_min_s2c)..$(meta_get "$m" per_client_max_s2c) each); server CPU $(meta_get "$m" server_cores_c2s) / $(meta_get "$m" server_cores_s2c) cores, -Xmx$(meta_get "$m" server_xmx), heap in use at most $(meta_get "$m" server_heap_peak_mb) MB, RSS $(meta_get "$m" server_rss_mb) MB; warm-up rounds:JIT seconds per round $(meta_get "$m" warmup_rounds_jit_s)"
    # the server's own cost per bit: with one machine for everything, the clients' side takes CPU the
    # server could use, and a server below one core in a direction was not what limited that direction
    echo "- rqst server CPU per Gbit/s carried, one client vs $MULTI_N clients: c2s $(server_cpu_per_gbit c2s) vs $(per_gbit "$(meta_get "$m" server_cores_c2s)" "$(meta_get "$m" agg_c2s)") cores, s2c $(server_cpu_per_gbit s2c) vs $(per_gbit "$(meta_get "$m" server_cores_s2c)" "$(meta_get "$m" agg_s2c)") cores"
    if [[ -n $(meta_get "$m" solo_c2s) ]]; then
      echo "- one of the $MULTI_N clients alone, right after each of their runs (same server, same load generator, same minute): c2s $(meta_get "$m" solo_c2s) Mbit/s (median of runs $(meta_get "$m" solo_runs_c2s)), s2c $(meta_get "$m" solo_s2c) Mbit/s (median of runs $(meta_get "$m" solo_runs_s2c)); the $MULTI_N clients' aggregate is $(ratio "$(meta_get "$m" agg_c2s)" "$(meta_get "$m" solo_c2s)")x / $(ratio "$(meta_get "$m" agg_s2c)" "$(meta_get "$m" solo_s2c)")x of it"
    fi
    if [[ -n $(meta_get "$m" "fan${MULTI_N}_c2s") ]]; then
      echo "- the same $MULTI_N clients with one sender and one receiver process for all their streams (bench/tcp-fan; the iperf3 runs above are $MULTI_N pairs of processes, which take the box's two CPUs as well), after each run above: aggregate c2s $(meta_get "$m" "fan${MULTI_N}_c2s") Mbit/s (median of runs $(meta_get "$m" "fan${MULTI_N}_runs_c2s"), server $(meta_get "$m" "fan${MULTI_N}_cores_c2s") cores), s2c $(meta_get "$m" "fan${MULTI_N}_s2c") Mbit/s (runs $(meta_get "$m" "fan${MULTI_N}_runs_s2c"), server $(meta_get "$m" "fan${MULTI_N}_cores_s2c") cores); one of them alone, the same way: c2s $(meta_get "$m" fan1_c2s) (runs $(meta_get "$m" fan1_runs_c2s)), s2c $(meta_get "$m" fan1_s2c) (runs $(meta_get "$m" fan1_runs_s2c)); the aggregate is $(ratio "$(meta_get "$m" "fan${MULTI_N}_c2s")" "$(meta_get "$m" fan1_c2s)")x / $(ratio "$(meta_get "$m" "fan${MULTI_N}_s2c")" "$(meta_get "$m" fan1_s2c)")x of one"
    fi
  fi
  echo
  echo "| target (issue 5) | measured | |"
  echo "|---|---|---|"
  echo "| 1 TCP stream >= 2.0x OpenVPN tap, c2s | ${rc2s}x | $(verdict "$(awk -v r="$rc2s" 'BEGIN{print (r!="NA" && r>=2.0)}')") |"
  echo "| 1 TCP stream >= 2.0x OpenVPN tap, s2c | ${rs2c}x | $(verdict "$(awk -v r="$rs2c" 'BEGIN{print (r!="NA" && r>=2.0)}')") |"
  # judged by the median of PING_N pings: the anchors' average of 20 swings with a single late reply (a
  # run with hypervisor steal "met" it at 4.55 vs 8.58 ms while the medians were 0.77 vs 0.49 ms)
  ri=$(lat rqst idle_p50); oi=$(lat ovpn-tap idle_p50)
  echo "| idle ping <= OpenVPN tap (p50 of $PING_N) | $ri vs $oi ms (avg of 20: $(meta_get "$RUN_DIR/rqst/meta.tsv" ping_avg_ms) vs $(meta_get "$RUN_DIR/ovpn-tap/meta.tsv" ping_avg_ms)) | $(verdict "$(awk -v a="$ri" -v b="$oi" 'BEGIN{print (a!="" && b!="" && a<=b)}')") |"
  rl=$(ratio "$(lat rqst load_p99)" "$(lat rqst idle_p50)")
  echo "| ping p99 under load <= 2x idle | $(lat rqst load_p99) ms = ${rl}x idle p50 $(lat rqst idle_p50) ms | $(verdict "$(awk -v r="$rl" 'BEGIN{print (r!="NA" && r<=2.0)}')") |"
  if [[ -f $m ]]; then
    for d in c2s s2c; do
      rm_=$(ratio "$(meta_get "$m" "agg_$d")" "$(median_of rqst "$d")")
      solo_note=""
      [[ -n $(meta_get "$m" "solo_$d") ]] && solo_note="; one of them alone in the same minute $(meta_get "$m" "solo_$d") Mbit/s, $(ratio "$(meta_get "$m" "agg_$d")" "$(meta_get "$m" "solo_$d")")x"
      echo "| $MULTI_N clients aggregate >= 0.9x one client, $d | $(meta_get "$m" "agg_$d") vs $(median_of rqst "$d") Mbit/s = ${rm_}x$solo_note | $(verdict "$(awk -v r="$rm_" 'BEGIN{print (r!="NA" && r>=0.9)}')") |"
    done
    if [[ -n $(meta_get "$m" "fan${MULTI_N}_c2s") ]]; then
      for d in c2s s2c; do
        rf=$(ratio "$(meta_get "$m" "fan${MULTI_N}_$d")" "$(meta_get "$m" "fan1_$d")")
        echo "| $MULTI_N clients aggregate >= 0.9x one client, $d, one traffic process per side (tcp-fan) | $(meta_get "$m" "fan${MULTI_N}_$d") vs $(meta_get "$m" "fan1_$d") Mbit/s = ${rf}x | $(verdict "$(awk -v r="$rf" 'BEGIN{print (r!="NA" && r>=0.9)}')") |"
      done
    fi
    hp=$(meta_get "$m" server_heap_peak_mb)
    echo "| server heap <= 256 MB with $MULTI_N clients | at most $hp MB in use (-Xmx$SERVER_XMX) | $(verdict "$(awk -v h="$hp" 'BEGIN{print (h!="" && h<=256)}')") |"
  fi
  echo "| first ping <= 1.5 s after client start (median) | $fp ms | $(verdict "$(awk -v f="$fp" 'BEGIN{print (f!="NA" && f<=1500)}')") |"
  if [[ -f $m ]]; then
    # the 16-client ratio divides by this run's one-stream median: when that stream's own runs spread
    # widely (this box runs one stream at about 1850 or 2500-2800 Mbit/s, from one run to the next), one
    # run's ratio says little (RESULTS.md 2026-11-23 23:40: 1.03x in one run, 0.62-0.68x in the next three)
    for d in c2s s2c; do
      mn= mx=
      read -r mn mx < <(spread_of rqst "$d") || true
      if [[ -n ${mn:-} ]] && awk -v a="$mn" -v b="$mx" 'BEGIN{exit !(a > 0 && b / a > 1.25)}'; then
        echo
        echo "Note: rqst's one-stream runs $d spread $mn..$mx Mbit/s (more than 25 %), so this run's $MULTI_N-client ratio $d rests on an unsteady median; judge it over several runs."
      fi
    done
  fi
  echo
  echo "Details (retransmits, CPU, UDP drops) as the anchors report them:"
  echo
  report "$RUN_DIR"
} >"$RUN_DIR/summary.md"
cat "$RUN_DIR/summary.md"
