#!/usr/bin/env bash
# bench/ping-hops.sh : where a ping's round trip goes, hop by hop, through rqst and OpenVPN tap (the
# anchors' setup), idle and under one TCP stream. tcpdump on both TAPs (ICMP) and both veths (the outer
# UDP); all captures share one clock, and ping writes its send time into each request's payload.
#
#   bench/ping-hops.sh [setup...]      default: rqst ovpn-tap
#   Env: HOPS_N (100 pings per phase) HOPS_INTERVAL (0.2 s idle; 0.02 s under load) WARMUP_S (8)
#        RESULTS_DIR (default bench/results)
#   Output: bench/results/<UTC stamp>/hops.md (bench/results/latest -> it), printed too.
#   Idle hops: client TAP -> its UDP packet out; server UDP in -> TAP; the server host's answer on its TAP;
#   server TAP -> UDP out; client UDP in -> TAP; and how many packets the server sent between the request
#   and the answer (a standalone QUIC ACK shows as 1). Under load only outer packets under 400 bytes are
#   captured (the stream's would load the CPU): the answer's outer legs are given (it is the server's first
#   packet of 100-400 bytes after the answer), the request's are not (it can ride with stream data).
#   CPU per idle ping: each daemon thread's time on a CPU and times scheduled in per ping (schedstat),
#   measured before the captures; a cold path shows here as CPU time, steadier than the round trip.
#   Needs root and python3; not part of CI (timing).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
command -v python3 >/dev/null || die "ping-hops.sh needs python3"
command -v tcpdump >/dev/null || apt-get install -y -qq tcpdump >/dev/null
HOPS_N=${HOPS_N:-100}
HOPS_INTERVAL=${HOPS_INTERVAL:-0.2}
sel=("$@"); ((${#sel[@]})) || sel=(rqst ovpn-tap)
bench_prepare
trap anchors_cleanup EXIT
trap 'exit 130' INT TERM
"$ANCHORS_DIR/netns.sh" up

tap_of() { # the namespace's first link that is neither lo nor the veth
  ip -n "$1" -o link | awk -F': ' '$2 !~ /^(lo|ab-veth)/ {sub(/@.*/, "", $2); print $2; exit}'
}

capture() { # capture <dir> <ip> <interval> <veth capture filter, or 0 for none>
  local d=$1 ip=$2 iv=$3 veth=$4 ct st pids=()
  ct=$(tap_of "$NS_CLI"); st=$(tap_of "$NS_SRV")
  mkdir -p "$d"
  ip netns exec "$NS_CLI" tcpdump -n -U -s 96 -i "$ct" -w "$d/ct.pcap" icmp 2>/dev/null & pids+=($!)
  ip netns exec "$NS_SRV" tcpdump -n -U -s 96 -i "$st" -w "$d/st.pcap" icmp 2>/dev/null & pids+=($!)
  if [[ $veth != 0 ]]; then
    ip netns exec "$NS_CLI" tcpdump -n -U -s 64 -i "$VETH_CLI" -w "$d/cv.pcap" "$veth" 2>/dev/null & pids+=($!)
    ip netns exec "$NS_SRV" tcpdump -n -U -s 64 -i "$VETH_SRV" -w "$d/sv.pcap" "$veth" 2>/dev/null & pids+=($!)
  fi
  sleep 1.5
  ip netns exec "$NS_CLI" ping -c "$HOPS_N" -i "$iv" "$ip" >"$d/ping.txt" 2>&1 || true
  sleep 0.5
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}

# CPU per idle ping: each thread of the processes in both namespaces (the VPN daemons), from
# /proc/<pid>/task/<tid>/schedstat (ns on a CPU, times scheduled in) before and after HOPS_N pings with no
# capture running. Time the thread spent in the kernel counts too, including the other namespace's receive
# path that a send over the veth runs inline. Threads under 1 us per ping are left out.
schedstat_snap() {
  local ns p t
  for ns in "$NS_SRV" "$NS_CLI"; do
    for p in $(ip netns pids "$ns"); do
      for t in /proc/"$p"/task/*; do
        printf '%s %s %s %s\n' "${t##*/}" "${ns#ab-}" "$(tr ' ' _ <"$t/comm")" "$(cut -d' ' -f1,3 "$t/schedstat")"
      done 2>/dev/null
    done
  done | LC_ALL=C sort
}
cpu_per_ping() { # cpu_per_ping <dir> <ip> <title>
  local d=$1 ip=$2 title=$3
  mkdir -p "$d"
  sleep 1
  schedstat_snap >"$d/sched0"
  ip netns exec "$NS_CLI" ping -c "$HOPS_N" -i "$HOPS_INTERVAL" "$ip" >"$d/ping.txt" 2>&1 || true
  schedstat_snap >"$d/sched1"
  echo "### $title: CPU per idle ping ($HOPS_N pings every $HOPS_INTERVAL s, no capture)"
  echo
  echo "round trip p50 $(grep -o 'time=[0-9.]*' "$d/ping.txt" | cut -d= -f2 | sort -g | awk '{a[NR]=$1} END{print (NR ? a[int(NR/2)+1] : "NA")}') ms"
  echo
  echo '| namespace | thread | CPU us per ping | times scheduled in per ping |'
  echo '|---|---|---|---|'
  LC_ALL=C join "$d/sched0" "$d/sched1" | awk -v n="$HOPS_N" '$2 == $6 && $3 == $7 {
      us = ($8 - $4) / 1e3 / n; w = ($9 - $5) / n
      if (us >= 1) printf "| %s | %s | %.0f | %.1f |\n", $2, $3, us, w }' | sort -t'|' -k4,4gr
  echo
}

analyse() { # analyse <dir> <title>
  python3 - "$1" "$2" "$UL_CLI_IP" <<'PY'
import subprocess, struct, sys
d, title, cli_ip = sys.argv[1], sys.argv[2], sys.argv[3]
load = d.endswith('/load')
def packets(f, hexdump):
    try:
        out = subprocess.run(['tcpdump', '-r', f'{d}/{f}', '-n', '-tt'] + (['-x'] if hexdump else ['-q']),
                             capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    pk = []
    for l in out.splitlines():
        if l.startswith('\t'):
            pk[-1][2] += bytes.fromhex(''.join(l.split(':', 1)[1].split()))
        elif l and l[0].isdigit():
            pk.append([float(l.split()[0]), l, b''])
    return pk
def icmp(f):
    r = {}
    for t, l, b in packets(f, True):
        kind = 'req' if 'echo request' in l else 'rep' if 'echo reply' in l else None
        if not kind or 'seq ' not in l:
            continue
        seq = int(l.split('seq ')[1].split(',')[0])
        sent = None
        if len(b) >= 44:  # IPv4 20 + ICMP 8, then ping's struct timeval (two 64-bit words)
            s, u = struct.unpack('<qq', b[28:44]); sent = s + u / 1e6
        r[(kind, seq)] = (t, sent)
    return r
def udp(f):
    r = []
    for t, l, _ in packets(f, False):
        p = l.split()
        if len(p) > 2 and 'length' in l:
            r.append((t, p[2].startswith(cli_ip + '.'), int(l.rsplit('length', 1)[1].split()[0].strip(':'))))
    return r
ct, st = icmp('ct.pcap'), icmp('st.pcap')
cv, sv = udp('cv.pcap'), udp('sv.pcap')
rtt = {}
for l in open(f'{d}/ping.txt'):
    if 'time=' in l:
        rtt[int(l.split('icmp_seq=')[1].split()[0])] = float(l.split('time=')[1].split()[0])
def first(lst, t, cond):
    return next((x for x in lst if x[0] >= t and cond(x)), None)
legs = {}
def add(k, v):
    legs.setdefault(k, []).append(v)
for seq, ms in sorted(rtt.items()):
    try:
        (t1, sent), (t3, _), (t4, _), (t6, _) = ct[('req', seq)], st[('req', seq)], st[('rep', seq)], ct[('rep', seq)]
    except KeyError:
        continue
    add('ping: send -> client TAP', t1 - sent if sent else None)
    add('client TAP -> server TAP (request)', t3 - t1)
    add('server host answers (TAP -> TAP)', t4 - t3)
    add('server TAP -> client TAP (answer)', t6 - t4)
    add('round trip (ping)', ms / 1e3)
    if cv and sv:
        c_out = first(cv, t1, lambda x: x[1]); s_in = first(sv, t1, lambda x: x[1])
        # the answer's outer packet: the first from the server after it, larger than an ACK-only packet
        big = lambda x: not x[1] and 100 <= x[2] <= 400
        s_out = first(sv, t4, big); c_in = first(cv, t4, big)
        if None in (s_out, c_in) or (not load and 0 in (c_out[0], s_in[0])):
            continue
        if not load:  # under load the request's outer packet cannot be told from the stream's
            add('  client: TAP -> UDP out', c_out[0] - t1)
            add('  server: UDP in -> TAP', t3 - s_in[0])
        add('  server: TAP -> UDP out', s_out[0] - t4)
        add('  client: UDP in -> TAP', t6 - c_in[0])
        if not load:
            add('  server packets before the answer', sum(1 for x in sv if not x[1] and t3 <= x[0] < s_out[0]))
def pct(v, q):
    v = sorted(x for x in v if x is not None)
    return v[min(len(v) - 1, int(len(v) * q))] if v else None
print(f'### {title}\n')
print('| leg | n | p50 us | p90 us |')  # the packet count row: packets, not us
print('|---|---|---|---|')
for k, v in legs.items():
    a, b = pct(v, .5), pct(v, .9)
    if a is None:
        continue
    n = len([x for x in v if x is not None])
    scale = 1 if 'packets' in k else 1e6  # a count, else seconds shown in us
    print(f'| {k.strip()} | {n} | {a * scale:.0f} | {b * scale:.0f} |')
print()
PY
}

out=$RUN_DIR/hops.md
{
  echo "# ping hop by hop $stamp"
  echo
  run_header
  echo "- $HOPS_N pings per phase; idle every $HOPS_INTERVAL s; under load every 0.02 s during one TCP stream (cubic) client -> server"
  echo
} >"$out"
for sc in "${sel[@]}"; do
  log "===== $sc"
  case $sc in
    rqst) rqst_up ;;
    ovpn-tap) "$ANCHORS_DIR/openvpn.sh" up tap; wait_reachable "$OVPN_SRV_IP" 30 || die "OpenVPN tunnel unreachable" ;;
    *) die "unknown setup $sc (rqst ovpn-tap)" ;;
  esac
  ip=$(scenario_ip "$sc")
  cpu_per_ping "$RUN_DIR/hops-$sc/cpu" "$ip" "$sc" >>"$out"
  capture "$RUN_DIR/hops-$sc/idle" "$ip" "$HOPS_INTERVAL" udp
  analyse "$RUN_DIR/hops-$sc/idle" "$sc, idle" >>"$out"
  start_daemon iperf3-hops "$NS_SRV" iperf3 -s -p "$IPERF_PORT"; sleep 0.5
  HOPS_LOAD_T=$(awk -v n="$HOPS_N" 'BEGIN{printf "%d", n * 0.02 + 5}')
  timeout $((HOPS_LOAD_T + 20)) ip netns exec "$NS_CLI" iperf3 -c "$ip" -p "$IPERF_PORT" -t "$HOPS_LOAD_T" -C "$IPERF_CC" >/dev/null 2>&1 &
  ipf=$!
  sleep 1.5
  capture "$RUN_DIR/hops-$sc/load" "$ip" 0.02 "udp and less 400" # not the bulk: tcpdump would load the CPU
  wait "$ipf" || true
  stop_daemon iperf3-hops
  analyse "$RUN_DIR/hops-$sc/load" "$sc, under one TCP stream client -> server" >>"$out"
  scenario_down "$sc"
done
cat "$out"
