#!/usr/bin/env bash
# aot-train.sh LAUNCHER OUT.aot : records the JDK's ahead-of-time cache (JEP 483/514/515) for rqst.
# A training run is a real tunnel between two throwaway network namespaces: a server, and a client
# started with -XX:AOTCacheOutput that connects with certificates, pings, carries a short burst, and
# exits on SIGTERM (the JVM writes the cache as it exits). Later starts map the classes already loaded
# and linked: the time from `rqst client` to the first ping roughly halves. No method profiles are
# recorded: the launcher does not replay them (bench/RESULTS.md, 2026-11-24 10:10).
# Needs root (namespaces, TAPs). Leaves nothing behind; on failure no cache is written.
set -euo pipefail
RQST=$1 OUT=$2
HERE=$(cd "$(dirname "$0")/.." && pwd)
SRV=rqst-aot-s CLI=rqst-aot-c
WORK=$(mktemp -d /tmp/rqst-aot.XXXXXX)
spid= cpid=
alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
cleanup() {
  set +e
  # the daemons by pid as well as by namespace: a process must not outlive its deleted namespace
  for ns in $CLI $SRV; do pids=$(ip netns pids $ns 2>/dev/null); [[ -n $pids ]] && kill -TERM $pids 2>/dev/null; done
  [[ -n $cpid$spid ]] && kill -TERM $cpid $spid 2>/dev/null
  for _ in $(seq 1 50); do alive $cpid $spid || break; sleep 0.1; done
  [[ -n $cpid$spid ]] && kill -KILL $cpid $spid 2>/dev/null
  for ns in $CLI $SRV; do
    pids=$(ip netns pids $ns 2>/dev/null); [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
    ip netns del $ns 2>/dev/null; rm -rf /etc/netns/$ns
  done
  wait 2>/dev/null
  rm -rf "$WORK" "$OUT.tmp" "$OUT.tmp.config"
}
trap cleanup EXIT
echo "rqst: recording the AOT cache $OUT (a 10-second training tunnel between namespaces $SRV and $CLI)"
for ns in $SRV $CLI; do ip netns del $ns 2>/dev/null || true; ip netns add $ns; ip -n $ns link set lo up; done
ip link add rqa-s netns $SRV type veth peer name rqa-c netns $CLI
ip -n $SRV addr add 192.0.2.1/24 dev rqa-s; ip -n $CLI addr add 192.0.2.2/24 dev rqa-c
ip -n $SRV link set rqa-s up; ip -n $CLI link set rqa-c up
mkdir -p /etc/netns/$CLI; echo "192.0.2.1 rqst.example.com" >/etc/netns/$CLI/hosts
"$HERE/scripts/throwaway-pki.sh" "$WORK" rqst.example.com >/dev/null
(cd "$WORK/server" && exec ip netns exec $SRV "$RQST" server --address 10.8.0.1/24 --state-dir "$WORK/state") >"$WORK/server.log" 2>&1 &
spid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/server.log" && break; sleep 0.1; done
(cd "$WORK/client" && RQST_JAVA_OPTS="-XX:AOTCacheOutput=$OUT.tmp -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining" exec ip netns exec $CLI "$RQST" client \
  --address 10.8.0.2/24 --state-dir "$WORK/state" vpn://rqst.example.com) >"$WORK/client.log" 2>&1 &
cpid=$!
ok=
for _ in $(seq 1 150); do ip netns exec $CLI ping -c1 -W0.2 -q 10.8.0.1 >/dev/null 2>&1 && { ok=1; break; }; sleep 0.05; done
[[ -n $ok ]] || { cat "$WORK/server.log" "$WORK/client.log" >&2; echo "aot-train: the training tunnel did not come up" >&2; exit 1; }
ip netns exec $CLI ping -c 200 -i 0.005 -q 10.8.0.1 >/dev/null
ip netns exec $CLI ping -c 2000 -f -s 1200 -q 10.8.0.1 >/dev/null || true
kill -TERM $cpid; wait $cpid || true
cpid=
[[ -s $OUT.tmp ]] || { tail -5 "$WORK/client.log" >&2; echo "aot-train: the JVM wrote no cache" >&2; exit 1; }
mv -f "$OUT.tmp" "$OUT"
echo "rqst: AOT cache ready ($(du -h "$OUT" | cut -f1))"
