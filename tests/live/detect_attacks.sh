#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Real attack tools against the victim, each alone with a fresh daemon,
# while a benign client browses (48 parallel connections) and pings: the
# attacker is banned for the right kind (event and ban table), then
# dropped; the client is never banned and gets all its pages and replies.
# Prints the time to ban of each tool (see README "Detection defaults").
. "$(dirname "$0")/lib_detect.bash"
need_root
need_tools nsenter ip ping python3 nmap hping3 bpftool curl
ensure_bpffs

# Bounds: every tool runs under timeout; nmap scans 1000 ports at most.
NMAP=(nmap -n -Pn -p 1-1000 --max-retries 1 --host-timeout 20s)
BENIGN_S=8
# Generous, so that a loaded machine cannot make it flake; the figures
# themselves are printed as diagnostics.
TTB_MAX=5
SCAN_PKTS_MAX=100

attack() { # label, kind, seconds, command...
	local label=$1 kind=$2 secs=$3 apid n
	shift 3
	fresh_daemon
	ok $? "$label: daemon started with fresh state"
	benign_start "$BENIGN_S"
	sleep 1
	bg_in_ns "$X" timeout "$secs" "$@"
	apid=$BG
	wait_for 8 has_event event=ban kind="$kind" src="$ATTACKER"
	ok $? "$label: ban event for $kind naming $ATTACKER"
	n=$(nevents event=alert kind="$kind" src="$ATTACKER")
	ok $([ "$n" -ge 1 ]; echo $?) "$label: alert event before it ($n)"
	events src="$ATTACKER" | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin]
need = ("ts", "event", "kind", "src", "value", "threshold")
sys.exit(not e or any(k not in x for x in e for k in need)
         or any(x["value"] < x["threshold"] for x in e))'
	ok $? "$label: events carry ts, event, kind, src, value >= threshold"
	check "$label: bans --json lists it, reason $kind" \
		test "$(ban_of "$ATTACKER")" = "$kind 1"
	time_to_ban "$label" "$ATTACKER"
	ok $(lt "$TTB" "$TTB_MAX"; echo $?) \
		"$label: time to ban $TTB s < $TTB_MAX s"
	if [ "$kind" = port_scan ]; then
		ok $([ "$TTB_PKTS" -lt "$SCAN_PKTS_MAX" ]; echo $?) \
			"$label: banned after $TTB_PKTS probes (< $SCAN_PKTS_MAX)"
	fi
	check "$label: the attacker's pings are dropped" pings_fail "$X"
	n=$(drops "$kind")
	ok $([ "$n" -gt 0 ]; echo $?) "$label: drop counter $kind rose ($n)"
	wait "$apid"
	benign_check "$label"
	n=$(($(nevents event=ban) - $(nevents event=ban src="$ATTACKER")))
	ok "$n" "$label: nobody else banned ($n)"
}

detect_lan
ok $? "LAN up, HTTP server answering"

attack "nmap -sS" port_scan 6 "${NMAP[@]}" -sS "$VICTIM"
attack "nmap -sT" port_scan 6 "${NMAP[@]}" -sT "$VICTIM"
attack "hping3 -S --flood" syn_flood 3 hping3 -q -S --flood -p 80 "$VICTIM"
attack "ping -f" icmp_flood 3 ping -q -f -w 3 "$VICTIM"
attack "connect burst" conn_flood 3 python3 "$TRAFFIC" burst "$VICTIM" \
	"$PORT" 3

stop_daemon
finish
