#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Detection beyond "attacker banned": a SYN flood from forged sources raises
# an alarm naming the victim and bans nobody (the benign client unharmed);
# --dry-run alerts and never bans, not even through the XDP program's
# port-scan fast path, whose bans are reported even when the port sketch
# is gone by the daemon's next poll; a ban runs out (unban event) and a
# repeat offender gets twice the TTL (a flood, and a port sweep the XDP
# program bans again itself); an attacker the operator unbans is
# judged again; too many established sockets from one address (sock_diag)
# are a connection flood; an IPv6 scan is banned like an IPv4 one, with the
# example config file; a bad config file stops `run` before it attaches.
. "$(dirname "$0")/lib_detect.bash"
need_root
need_tools nsenter ip ping python3 nmap hping3 bpftool curl
ensure_bpffs

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NMAP=(nmap -n -Pn -p 1-1000 --max-retries 1 --host-timeout 20s)

# Seconds from realtime t0 to an event's ts ("2026-01-02T03:04:05.678Z").
since() { # t0, event-json-line
	python3 -c '
import datetime, json, sys
ts = json.loads(sys.argv[2])["ts"]
t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
print("%.3f" % (t - float(sys.argv[1])))' "$1" "$2"
}

detect_lan
ok $? "LAN up, HTTP server answering"

# --- spoofed SYN flood: an alarm on the victim, nobody banned
fresh_daemon
ok $? "spoofed: daemon started"
benign_start 8
sleep 1
t0=$(date +%s.%N)
bg_in_ns "$X" timeout 3 hping3 -q -S --flood --rand-source -p 80 "$VICTIM"
apid=$BG
wait_for 8 has_event event=alert kind=syn_flood_spoofed dst="$VICTIM"
ok $? "spoofed: syn_flood_spoofed alarm naming the victim $VICTIM"
ev=$(events event=alert kind=syn_flood_spoofed | head -1)
python3 -c '
import json, sys
e = json.loads(sys.argv[1])
sys.exit(not ("src" not in e and e["value"] >= e["threshold"] and "ts" in e))' \
	"${ev:-{\}}"
ok $? "spoofed: the alarm names no source, value >= threshold"
[ -n "$ev" ] && diag "time to alarm: hping3 --rand-source $(since "$t0" "$ev") s (from launching hping3)"
wait "$apid"
sleep 0.5
n=$(nevents event=ban)
ok "$n" "spoofed: nobody banned ($n ban events)"
check "spoofed: the ban table is empty" test "$(xg "$V" bans --json)" = "[]"
benign_check "spoofed"

# --- dry run: alerts, no bans, nothing dropped
fresh_daemon --dry-run
ok $? "dry run: daemon started"
check "dry run: the start event says so" has_event event=start dry_run=True
bg_in_ns "$X" timeout 6 "${NMAP[@]}" -sS "$VICTIM"
apid=$BG
wait_for 8 has_event event=alert kind=port_scan src="$ATTACKER"
ok $? "dry run: nmap -sS raises a port_scan alert"
wait "$apid"
bg_in_ns "$X" timeout 2 hping3 -q -S --flood -p 80 "$VICTIM"
apid=$BG
wait_for 8 has_event event=alert kind=syn_flood src="$ATTACKER"
ok $? "dry run: hping3 --flood raises a syn_flood alert"
wait "$apid"
n=$(nevents event=ban)
ok "$n" "dry run: no ban events ($n)"
check "dry run: the ban table is empty" test "$(xg "$V" bans --json)" = "[]"
check "dry run: the attacker still gets ping replies" \
	in_ns "$X" ping -q -c 2 -i 0.2 -W 2 "$VICTIM"
n=$(xg "$V" stats --json --interval 0.1 --top 0 | python3 -c '
import json, sys; print(sum(v["pkts"] for v in json.load(sys.stdin)["drop"].values()))')
ok "$n" "dry run: nothing dropped ($n)"

# --- expiry and escalation: 1 s ban, unban event, then 2 s
fresh_daemon --ban-ttl 1s --ban-ttl-max 1m
ok $? "escalation: daemon started with --ban-ttl 1s"
bg_in_ns "$X" timeout 5 hping3 -q -S --flood -p 80 "$VICTIM"
apid=$BG
wait_for 8 has_event event=ban kind=syn_flood src="$ATTACKER" repeat=1 ttl_s=1
ok $? "escalation: first ban, repeat 1, ttl 1 s"
wait_for 8 has_event event=unban kind=syn_flood src="$ATTACKER" reason=syn_flood
ok $? "escalation: unban event with kind, src and reason once it expires"
wait_for 8 has_event event=ban kind=syn_flood src="$ATTACKER" repeat=2 ttl_s=2
ok $? "escalation: flooding on, banned again: repeat 2, ttl 2 s"
python3 -c '
import json, sys
e = [json.loads(l)["event"] for l in open(sys.argv[1])
     if json.loads(l).get("src") == sys.argv[2]]
sys.exit(e[:4] != ["alert", "ban", "unban", "alert"] or e[4:5] != ["ban"])' \
	"$T_DIR/daemon.log" "$ATTACKER"
ok $? "escalation: events in order: alert, ban, unban, alert, ban"
kill "$apid" 2>/dev/null
wait "$apid"

# --- a port sweep that goes on as its 1 s ban runs out: the XDP program
# bans it again on the spot, and the events still read unban, then ban
fresh_daemon --ban-ttl 1s --ban-ttl-max 1m
ok $? "sweep: daemon started with --ban-ttl 1s"
bg_in_ns "$X" timeout 4 hping3 -q -S -p ++1000 -i u500 "$VICTIM"
apid=$BG
wait_for 8 has_event event=ban kind=port_scan src="$ATTACKER" repeat=2 ttl_s=2
ok $? "sweep: banned, then again as a repeat (2 s)"
python3 -c '
import json, sys
e = [json.loads(l)["event"] for l in open(sys.argv[1])
     if json.loads(l).get("src") == sys.argv[2]]
sys.exit(e[:5] != ["alert", "ban", "unban", "alert", "ban"])' \
	"$T_DIR/daemon.log" "$ATTACKER"
ok $? "sweep: events in order: alert, ban, unban, alert, ban"
kill "$apid" 2>/dev/null
wait "$apid"

# --- the operator unbans an attacker that goes on: banned again at once
fresh_daemon
ok $? "operator unban: daemon started"
bg_in_ns "$X" timeout 5 hping3 -q -S --flood -p 80 "$VICTIM"
apid=$BG
wait_for 8 has_event event=ban kind=syn_flood src="$ATTACKER" repeat=1
ok $? "operator unban: flood banned"
check "operator unban: xdpguard unban $ATTACKER" xg "$V" unban "$ATTACKER"
wait_for 3 has_event event=ban kind=syn_flood src="$ATTACKER" repeat=2 ttl_s=1200
ok $? "operator unban: still flooding, banned again as a repeat (20 min)"
kill "$apid" 2>/dev/null
wait "$apid"

# --- the XDP program's scan ban with the sketch out of the daemon's sight:
# 67 ms port windows (2^26 ns) are gone by the next 200 ms poll, so only
# the ban's repeat 0 tells the daemon; it still reports and confirms it
fresh_daemon --port-win-shift 26
ok $? "unseen sketch: daemon started with 67 ms port windows"
bg_in_ns "$X" timeout 6 "${NMAP[@]}" -sS "$VICTIM"
apid=$BG
wait_for 8 has_event event=ban kind=port_scan src="$ATTACKER"
ok $? "unseen sketch: nmap -sS banned and reported"
check "unseen sketch: the ban is confirmed (repeat 1)" \
	test "$(ban_of "$ATTACKER")" = "port_scan 1"
time_to_ban "nmap -sS, 67 ms port windows" "$ATTACKER"
ok $([ "$TTB_PKTS" -lt 100 ]; echo $?) \
	"unseen sketch: banned after $TTB_PKTS probes"
wait "$apid"

# --- established sockets (sock_diag): 25 connections held open, opened at
# 10/s (under every rate), against --conn-max 20
fresh_daemon --conn-max 20
ok $? "sockets: daemon started with --conn-max 20"
bg_in_ns "$X" timeout 8 python3 "$TRAFFIC" hold "$VICTIM" "$PORT" 25 10 5
apid=$BG
wait_for 8 has_event event=ban kind=conn_flood src="$ATTACKER"
ok $? "sockets: holding 25 connections open is a conn_flood, banned"
python3 -c '
import json, sys
e = json.loads(sys.argv[1])
sys.exit(not (e["threshold"] == 20 and 20 <= e["value"] <= 25 and "window_s" not in e))' \
	"$(events event=ban kind=conn_flood | head -1)" 2>/dev/null
ok $? "sockets: the ban counts established sockets (20..25 of 20, no window)"
wait "$apid"

# --- IPv6 scan, with the example config file
fresh_daemon --config "$ROOT/docs/xdpguard.ini.example"
ok $? "v6: daemon started with docs/xdpguard.ini.example"
bg_in_ns "$X" timeout 6 "${NMAP[@]}" -6 -sS fd77::1
apid=$BG
wait_for 8 has_event event=ban kind=port_scan src=fd77::66
ok $? "v6: nmap -6 -sS banned (port_scan, fd77::66)"
time_to_ban "nmap -6 -sS" fd77::66
ok $([ "$TTB_PKTS" -lt 100 ] && lt "$TTB" 5; echo $?) \
	"v6: banned after $TTB_PKTS probes, $TTB s"
check "v6: the attacker's ping6 is dropped" \
	eval "! in_ns $X ping -q -c 2 -i 0.2 -W 1 fd77::1"
wait "$apid"
stop_daemon

# --- a bad config file: one message naming file and line, nothing attached
printf '[detect]\nsyn_rate = 100\nscan_ports = 1\n' >"$T_DIR/bad.ini"
out=$(xg "$V" run -i eth0 --config "$T_DIR/bad.ini" 2>&1)
rc=$?
ok $([ "$rc" -eq 2 ]; echo $?) "bad config: run exits 2 (rc=$rc)"
ok $(echo "$out" | grep -q "bad.ini:3: invalid scan_ports '1'"; echo $?) \
	"bad config: the message names file, line and value ($out)"
check "bad config: nothing attached" eval "! has_xdp $V eth0"

finish
