#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The demo: a small LAN in network namespaces (victim, attacker, benign
# client on a bridge), xdpguard guarding the victim's interface. While the
# client browses the victim's web server (48 parallel connections) and
# pings it, the attacker scans it with nmap and is banned after a few
# dozen probes; from a second address it SYN-floods and is banned within
# a poll or two. The daemon's events, the time to ban, the ban table and
# `stats` are printed as they happen, and the client's tally at the end. Every step is bounded; everything it creates is removed on exit.
set -u
cd "$(dirname "$0")/.."
T_ID=demo
. tests/live/lib_detect.bash
[ "$(id -u)" -eq 0 ] || {
	echo "demo: run as root (it creates network namespaces and attaches XDP)"
	exit 1
}
for t in nmap hping3 python3 bpftool curl; do
	command -v "$t" >/dev/null || {
		echo "demo: $t is missing (scripts/install-deps.sh installs it)"
		exit 1
	}
done
ensure_bpffs

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
indent() { sed 's/^/   /'; }
SEEN=1
# The daemon's JSON events since the last call, one readable line each.
new_events() {
	local n
	n=$(wc -l <"$T_DIR/daemon.log")
	sed -n "${SEEN},${n}p" "$T_DIR/daemon.log" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e["event"] == "start":
        continue
    who = " ".join("%s=%s" % (k, e[k]) for k in ("src", "dst") if k in e)
    what = ("value=%s threshold=%s" % (e["value"], e["threshold"])
            if "value" in e else e.get("msg", ""))
    if e["event"] == "ban":
        what += " ttl=%ss repeat=%s" % (e["ttl_s"], e["repeat"])
    print("%s  %-6s %-17s %s %s" % (e["ts"][11:23], e["event"],
                                    e.get("kind", ""), who, what))' | indent
	SEEN=$((n + 1))
}

detect_lan || exit 1
say "LAN: victim $VICTIM (web server :$PORT), attacker $ATTACKER, client $CLIENT"

say "xdpguard run -i eth0 --json   (in the victim's namespace)"
start_daemon "$V" eth0 || exit 1
xg "$V" status | indent

say "client: browses with 48 parallel connections (+42 new over 12 s) and pings 1/s"
benign_start 12
sleep 1

say "attacker: nmap -sS -p 1-1000 $VICTIM"
in_ns "$X" timeout 8 nmap -n -Pn -sS -p 1-1000 --max-retries 1 \
	--host-timeout 3s "$VICTIM" 2>&1 | grep -E 'open|Not shown|timeout|done' | indent
wait_for 3 has_event event=ban src="$ATTACKER"
new_events
time_to_ban "nmap -sS" "$ATTACKER" >/dev/null
echo "   time to ban: ${TTB}s from the first probe; $TTB_PKTS probes got through, the rest were dropped"

FLOODER=10.77.0.67
say "attacker, from a second address $FLOODER: hping3 -S --flood -p 80 $VICTIM   (3 s)"
ip -n "$X" addr add "$FLOODER/24" dev eth0
in_ns "$X" timeout 3 hping3 -q -S --flood -p 80 -a "$FLOODER" "$VICTIM" \
	>/dev/null 2>&1 &
apid=$!
wait_for 3 has_event event=ban kind=syn_flood src="$FLOODER"
new_events
time_to_ban "hping3 --flood" "$FLOODER" >/dev/null
echo "   time to ban: ${TTB}s from the first SYN; $TTB_PKTS SYNs got through"
echo "   xdpguard stats --interval 1 --top 3   (while it floods on)"
xg "$V" stats --interval 1 --top 3 | indent
wait "$apid"

say "xdpguard bans"
xg "$V" bans | indent

say "client: its tally"
wait "$BROWSE_PID"
wait "$PING_PID"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("   %d pages fetched, %d failed, over %d connections" % (r["ok"], r["failed"], r["conns"]))' \
	"$T_DIR/browse.json"
grep -E 'packets transmitted' "$T_DIR/ping.log" | indent
echo "   events naming the client: $(nevents src="$CLIENT")"

say "SIGTERM: the daemon detaches"
stop_daemon
has_xdp "$V" eth0 && echo "   program still attached?!" ||
	echo "   eth0 has no XDP program; namespaces removed on exit"
