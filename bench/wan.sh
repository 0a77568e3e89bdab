#!/usr/bin/env bash
# bench/wan.sh : one TCP stream (cubic, or IPERF_CC) through rqst, or through OpenVPN tap, over a path with a round trip, and
# ping under it. This kernel has no netem, so the client talks to a UDP relay in its namespace
# (bench/udp-delay.c, built here with gcc) that holds each datagram DELAY ms each way: rqst's client is pointed
# at it, OpenVPN's is redirected to it by an nftables rule in the client's namespace. SLOW=1 in a spec pins the
# server (JVM or openvpn) to CPU 1 beside a busy loop, so it gets about half a core.
#
#   bench/wan.sh ["label|one-way delay ms|rqst options|slow 0/1|vpn (rqst, ovpn-tap)" ...]
#     default: delays 20, 5 and 0 ms, each with --rx-aqm off and on, slow 1, rqst
#     e.g. bench/wan.sh "rqst-20|20||0" "ovpn-20|20||0|ovpn-tap": rqst against OpenVPN tap at 40 ms
#   Env: ROUNDS (2, interleaved), T (15: iperf3 seconds; pings every 50 ms from its 3rd second),
#        DIR (c2s, or s2c: the stream from the server, queueing at the client),
#        RELAY_RT (a SCHED_FIFO priority for the relay, 0 = none), IPERF_CC (cubic: the TCP inside),
#        LOSS (0: percent of datagrams the relay loses at random, each way, e.g. 0.1 for a lossy Wi-Fi path)
#   Output: bench/results/<UTC stamp>-wan/{wan.tsv,summary.md}, and each rqst round's two logs (<label>-r<round>-{srv,cli}.log,
#   with any warning of frames lost inside the tunnel). Uses the anchors' namespaces ab-srv / ab-cli.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
ROUNDS=${ROUNDS:-2}; CC=${IPERF_CC:-cubic}; T=${T:-15}; DIR=${DIR:-c2s}; RELAY_RT=${RELAY_RT:-0}; LOSS=${LOSS:-0}
LOSS_PPM=$(awk -v l="$LOSS" 'BEGIN { if (l !~ /^[0-9]*\.?[0-9]+$/ || l > 100) exit 1; printf "%d", l * 10000 }') \
  || die "LOSS must be a percentage between 0 and 100, not $LOSS"
[[ $LOSS_PPM != 0 ]] || awk -v l="$LOSS" 'BEGIN { exit !(l == 0) }' || die "LOSS=$LOSS is below the relay's resolution of 0.0001 % (one per million)"
case $DIR in c2s) R= ;; s2c) R=-R ;; *) die "DIR must be c2s or s2c, not $DIR" ;; esac
specs=("$@")
((${#specs[@]})) || for d in 20 5 0; do specs+=("d$d-off|$d||1" "d$d-on|$d|--rx-aqm on|1"); done
"$ROOT/scripts/deps.sh" # gcc for the relay, nft for OpenVPN's redirect
command -v iperf3 >/dev/null || SKIP_SOFTETHER=1 "$ANCHORS_DIR/install-deps.sh" >/dev/null
"$ROOT/rqst" train
stamp=$(date -u +%Y%m%dT%H%M%SZ)-wan
RUN_DIR=${RESULTS_DIR:-$ROOT/bench/results}/$stamp; mkdir -p "$RUN_DIR"
mkdir -p "$SCRATCH"; gcc -O2 -Wall -o "$SCRATCH/udp-delay" "$ROOT/bench/udp-delay.c"
PKI=$SCRATCH/rqst-pki; rm -rf "$PKI"; "$ROOT/scripts/throwaway-pki.sh" "$PKI" rqst.bench >/dev/null
mkdir -p /etc/netns/"$NS_CLI"; echo "127.0.0.1 rqst.bench" >/etc/netns/"$NS_CLI"/hosts
trap 'stop_daemon spin; stop_daemon relay; anchors_cleanup' EXIT; trap 'exit 130' INT TERM
"$ANCHORS_DIR/netns.sh" up >/dev/null
ip -n "$NS_CLI" link set lo up
relay_prio=(); [[ $RELAY_RT == 0 ]] || relay_prio=(chrt -f "$RELAY_RT")
RELAY_PORT=4000   # the relay listens on 127.0.0.1:RELAY_PORT; rqst's client is given that address
RELAY_MARK=0x7271 # the mark the relay puts on its own packets (RELAY_MARK in udp-delay.c)
# OpenVPN's client sends to the server's address: its datagrams go to the relay instead (not the relay's own)
ip netns exec "$NS_CLI" nft -f - <<NFT
table ip wan-relay {
  chain out { type nat hook output priority -100; meta mark != $RELAY_MARK ip daddr $UL_SRV_IP udp dport $OVPN_PORT redirect to :$RELAY_PORT; }
}
NFT

pings() { # pings N : "p50<TAB>p99" of N pings through the tunnel to $target, 50 ms apart
  local t; t=$(ip netns exec "$NS_CLI" ping -c "$1" -i 0.05 "$target" | ping_times || true)
  printf '%s\t%s' "$(pct 50 <<<"$t")" "$(pct 99 <<<"$t")"
}
# frames_lost : once both rqst ends have stopped, from their closing lines: "c2s lost/sent<TAB>s2c lost/sent<TAB>QUIC
# packets lost by the client/server" for the whole round (warm-up included). A frame sent but not received was dropped
# at the sender's full DATAGRAM queue, lost in a QUIC packet, or dropped at the receiver.
frames_lost() {
  local cli srv
  cli=$(grep -h "INFO disconnected from" "$SCRATCH/logs/rqst-cli.out" 2>/dev/null | tail -1)
  srv=$(grep -h "INFO session .* closed: " "$SCRATCH/logs/rqst-srv.out" 2>/dev/null | tail -1)
  frames() { sed -n "s/.*[ (]$1 \([0-9]*\) frames\/.*/\1/p" <<<"$2"; }
  quic_lost() { sed -n "s/.*QUIC [0-9]* packets sent, \([0-9]*\) lost.*/\1/p" <<<"$1"; }
  way() { [[ -n $1 && -n $2 ]] && echo "$(($1 - $2))/$1" || echo NA; }
  printf '%s\t%s\t%s/%s' "$(way "$(frames out "$cli")" "$(frames in "$srv")")" "$(way "$(frames out "$srv")" "$(frames in "$cli")")" \
    "$(quic_lost "$cli")" "$(quic_lost "$srv")"
}
udp_rcvbuf_errors() { ip netns exec "$1" nstat -az UdpRcvbufErrors | awk '/UdpRcvbufErrors/{print $2}'; }
printf 'label\tvpn\tround\tone-way ms\toptions\tslow\tMbit/s\tinner retransmits\tidle p50\tidle p99\tloaded p50\tloaded p99\tCoDel drops\tserver UdpRcvbufErrors\tclient-side UdpRcvbufErrors (client and relay)\trelay drops\trelay late >1 ms\trelay max late us\tframes lost c2s\tframes lost s2c\tQUIC lost cli/srv\trelay lost at random (LOSS)\n' >"$RUN_DIR/wan.tsv"
for r in $(seq "$ROUNDS"); do for spec in "${specs[@]}"; do
  IFS='|' read -r label delay args slow vpn <<<"$spec"; vpn=${vpn:-rqst}
  case $vpn in
    rqst)
      start_daemon relay "$NS_CLI" "${relay_prio[@]}" "$SCRATCH/udp-delay" "$RELAY_PORT" "$UL_SRV_IP" 3456 "$delay" "$LOSS_PPM"
      RQST_ARGS=$args rqst_server_up
      RQST_ARGS=$args rqst_client_up "vpn://rqst.bench:$RELAY_PORT"
      target=10.8.0.1; srv=rqst-srv
      wait_reachable "$target" 30 || { cat "$SCRATCH"/logs/rqst-*.out >&2; die "rqst tunnel through the relay unreachable"; } ;;
    ovpn-tap)
      [[ -z $args ]] || die "$label: options are for rqst only"
      start_daemon relay "$NS_CLI" "${relay_prio[@]}" "$SCRATCH/udp-delay" "$RELAY_PORT" "$UL_SRV_IP" "$OVPN_PORT" "$delay" "$LOSS_PPM"
      "$ANCHORS_DIR/openvpn.sh" up tap >/dev/null 2>&1 || { tail -5 "$SCRATCH"/logs/ovpn-*.out >&2; die "OpenVPN through the relay did not come up"; }
      target=$OVPN_SRV_IP; srv=ovpn-srv ;;
    *) die "$label: vpn must be rqst or ovpn-tap, not $vpn" ;;
  esac
  if [[ $slow == 1 ]]; then
    taskset -a -p -c 1 "$(daemon_pid "$srv")" >/dev/null
    start_daemon spin "$NS_SRV" taskset -c 1 sh -c 'while :; do :; done'
  fi
  start_daemon iperf3-s "$NS_SRV" iperf3 -s -p 5201; sleep 0.5
  for _ in 1 2; do ip netns exec "$NS_CLI" iperf3 -c "$target" -t 6 -C "$CC" >/dev/null 2>&1 || true; done # warm-up
  idle=$(pings 40)
  rcvbuf0=$(udp_rcvbuf_errors "$NS_SRV"); crcvbuf0=$(udp_rcvbuf_errors "$NS_CLI")
  ip netns exec "$NS_CLI" iperf3 -c "$target" -t "$T" $R -C "$CC" -J >"$SCRATCH/wan-iperf.json" 2>/dev/null & ipp=$!
  sleep 3
  loaded=$(pings $(( (T - 4) * 20 )))
  wait $ipp || true
  rcvbuf=$(( $(udp_rcvbuf_errors "$NS_SRV") - rcvbuf0 )); crcvbuf=$(( $(udp_rcvbuf_errors "$NS_CLI") - crcvbuf0 ))
  mb=$(jq -r '"\(.end.sum_received.bits_per_second / 1e6 | floor)\t\(.end.sum_sent.retransmits)"' "$SCRATCH/wan-iperf.json" 2>/dev/null || printf 'NA\tNA')
  stop_daemon iperf3-s; stop_daemon spin; stop_daemon relay
  relay=$(sed -n 's/^udp-delay: \([0-9]*\) datagrams dropped, \([0-9]*\) released over 1 ms late, at most \([0-9]*\) us late$/\1\t\2\t\3/p' "$SCRATCH/logs/relay.out")
  relay=${relay:-NA$'\t'NA$'\t'NA}
  rlost=$(sed -n 's/^udp-delay: \([0-9]*\) datagrams lost at random.*/\1/p' "$SCRATCH/logs/relay.out"); rlost=${rlost:-0}
  if [[ $vpn == rqst ]]; then
    rqst_down
    drops=$(grep -o '[0-9]* packets dropped so far' "$SCRATCH/logs/rqst-srv.out" | tail -1 | cut -d' ' -f1 || true)
    lost=$(frames_lost)
    cp "$SCRATCH/logs/rqst-srv.out" "$RUN_DIR/$label-r$r-srv.log"; cp "$SCRATCH/logs/rqst-cli.out" "$RUN_DIR/$label-r$r-cli.log"
  else
    "$ANCHORS_DIR/openvpn.sh" down >/dev/null; drops=-; lost=$'-\t-\t-'
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$vpn" "$r" "$delay" "${args:--}" "$slow" "$mb" "$idle" "$loaded" "${drops:-0}" "$rcvbuf" "$crcvbuf" "$relay" "$lost" "$rlost" | tee -a "$RUN_DIR/wan.tsv"
done; done

{
  echo "# rqst over a path with a round trip (bench/wan.sh) $stamp"
  echo
  echo "- code: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown); $(uname -r), $(nproc) CPUs"
  echo "- one TCP stream $DIR, $CC, $T s; ping every 50 ms under it; $ROUNDS interleaved rounds; medians over rounds"
  echo "- the client reaches the server through a UDP relay holding each datagram the one-way delay$( [[ $LOSS_PPM == 0 ]] || echo ", and losing $LOSS % of them at random each way (LOSS)"); slow = the server (JVM or openvpn) pinned to CPU 1 beside a busy loop"
  echo
  echo "- relay: datagrams it released over 1 ms late, and the latest (us); it shares the two CPUs with the rest (RELAY_RT=$RELAY_RT)"
  echo
  echo "- frames lost inside the tunnel, each round (warm-up included, from the ends' closing lines): lost/sent, and QUIC's lost packets (client/server)"
  echo
  echo "| label | vpn | one-way ms | options | Mbit/s | idle p50 ms | loaded p50 / p99 ms | CoDel drops | relay late > 1 ms, max us | frames lost c2s; s2c; QUIC lost |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  col() { awk -F'\t' -v k="$1" -v c="$(($2 + 1))" 'NR>1 && $1==k {print $c}' "$RUN_DIR/wan.tsv"; }
  med() { sort -g | awk '{a[NR]=$1} END{if (!NR) print "NA"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
  for spec in "${specs[@]}"; do
    IFS='|' read -r label delay args _ vpn <<<"$spec"
    echo "| $label | ${vpn:-rqst} | $delay | ${args:--} | $(col "$label" 6 | med) ($(col "$label" 6 | tr '\n' ' ' | sed 's/ $//')) | $(col "$label" 8 | med) | $(col "$label" 10 | med) / $(col "$label" 11 | med) | $(col "$label" 12 | tr '\n' ' ' | sed 's/ $//') | $(col "$label" 16 | med), $(col "$label" 17 | med)$( [[ $LOSS_PPM == 0 ]] || echo "; lost at random $(col "$label" 21 | tr '\n' ' ' | sed 's/ $//')") | $(awk -F'\t' -v k="$label" 'NR>1 && $1==k {printf "%s%s; %s; %s", (n++ ? ", " : ""), $19, $20, $21}' "$RUN_DIR/wan.tsv") |"
  done
} >"$RUN_DIR/summary.md"
cat "$RUN_DIR/summary.md"
