#!/usr/bin/env bash
# bench/ping-stages.sh : where an idle ping's time goes inside rqst's two JVMs, stage by stage. Both run with
# -Drqst.trace (io.rqst.trace.Trace: marks at each UDP datagram in and out, each DATAGRAM frame out of QUIC,
# each read-complete, TAP poll, read and write); System.nanoTime is CLOCK_MONOTONIC, so the two JVMs' marks
# share one clock. After the usual warm-up, STAGES_N pings at STAGES_INTERVAL; each ping's marks (a burst
# with no mark for 5 ms before it) are lined up, and for the most common sequence of marks the table gives
# each mark's median time from the client's TAP poll, with the 10th and 90th percentiles, and the step
# from the mark before. The kernel's side of the same hops is bench/ping-hops.sh.
#
#   bench/ping-stages.sh
#   Env: STAGES_N (400) STAGES_INTERVAL (0.05 s, as compare.sh) STAGES_FAST (2000 pings at 2 ms first, after
#        the bulk warm-up; 0 skips) RQST_SERVER_JAVA_OPTS, RQST_JAVA_OPTS (added to both JVMs), RESULTS_DIR
#   Output: bench/results/<UTC stamp>/stages.md (bench/results/latest -> it), printed too; the raw marks in
#        trace-srv.txt and trace-cli.txt beside it.
#   Needs root and python3; not part of CI (timing).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
command -v python3 >/dev/null || die "ping-stages.sh needs python3"
STAGES_N=${STAGES_N:-400}
STAGES_INTERVAL=${STAGES_INTERVAL:-0.05}
STAGES_FAST=${STAGES_FAST:-2000}
[[ $STAGES_N =~ ^[1-9][0-9]*$ ]] || die "STAGES_N must be a positive whole number, not '$STAGES_N'"
[[ $STAGES_FAST =~ ^[0-9]+$ ]] || die "STAGES_FAST must be a whole number, not '$STAGES_FAST'"
bench_prepare
trap anchors_cleanup EXIT
trap 'exit 130' INT TERM
"$ANCHORS_DIR/netns.sh" up
export RQST_JAVA_OPTS="${RQST_JAVA_OPTS:-} -Drqst.trace=$RUN_DIR/trace-cli.txt"
export RQST_SERVER_JAVA_OPTS="${RQST_SERVER_JAVA_OPTS:-} -Drqst.trace=$RUN_DIR/trace-srv.txt"
rqst_up
if ((STAGES_FAST)); then
  ip netns exec "$NS_CLI" ping -q -c "$STAGES_FAST" -i 0.002 10.8.0.1 >/dev/null
fi
sleep 2
ip netns exec "$NS_CLI" ping -c "$STAGES_N" -i "$STAGES_INTERVAL" 10.8.0.1 >"$RUN_DIR/ping.txt" 2>&1 || true
p50=$(ping_times <"$RUN_DIR/ping.txt" | pct 50)
rqst_down # the JVMs write their marks as they exit
for f in trace-srv trace-cli; do
  for _ in $(seq 1 50); do [[ -s $RUN_DIR/$f.txt ]] && break; sleep 0.1; done
  [[ -s $RUN_DIR/$f.txt ]] || die "no marks in $RUN_DIR/$f.txt (did the JVM exit cleanly?)"
done
python3 - "$RUN_DIR" "$STAGES_N" "$STAGES_INTERVAL" "$p50" <<'PY' | tee "$RUN_DIR/stages.md"
import collections, statistics, sys
run, n, interval, p50 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
marks = []
for side, f in (("S", "trace-srv.txt"), ("C", "trace-cli.txt")):
    for line in open(f"{run}/{f}"):
        t, name, arg, _ = line.split()
        marks.append((int(t), side, name, int(arg)))
marks.sort()
# the ping phase only: the last n intervals, and a second for the stop
marks = [m for m in marks if m[0] > marks[-1][0] - (n * interval + 1) * 1e9]
bursts, cur = [], []
for m in marks:
    if cur and m[0] - cur[-1][0] > 5e6:
        bursts.append(cur)
        cur = []
    cur.append(m)
if cur:
    bursts.append(cur)
sig = lambda b: tuple(f"{s} {name}" for _, s, name, _ in b)
count = collections.Counter(sig(b) for b in bursts)
top, seen = count.most_common(1)[0]
chosen = [b for b in bursts if sig(b) == top]
print(f"# rqst: an idle ping's stages inside the two JVMs ({run.rsplit('/', 1)[-1]})\n")
print(f"- {n} pings at {interval} s; ping's p50 {p50} ms; {len(bursts)} bursts of marks, {seen} of them with the most common sequence (below); S = server, C = client")
print("- times in us from the client's TAP poll (the request's first mark in rqst): median (p10 / p90), and the median's step from the mark before\n")
print("| # | side | mark | argument (median) | median us | p10 / p90 | step us |")
print("|---|---|---|---|---|---|---|")
prev = 0.0
for i, key in enumerate(top):
    offs = sorted((b[i][0] - b[0][0]) / 1000 for b in chosen)
    args = statistics.median(b[i][3] for b in chosen)
    med = statistics.median(offs)
    q = lambda p: offs[min(len(offs) - 1, int(p * len(offs)))]
    side, name = key.split()
    print(f"| {i + 1} | {side} | {name} | {args:g} | {med:.1f} | {q(0.1):.1f} / {q(0.9):.1f} | {med - prev:+.1f} |")
    prev = med
others = count.most_common(4)[1:]
if others:
    print("\nother sequences: " + "; ".join(f"{c} x {len(s)} marks" for s, c in others))
PY
