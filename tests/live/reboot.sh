#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Reboot-style reload: bans, prefix bans and a blocklist are saved to the
# state file; the pins are deleted (all a reboot leaves is the file); the
# next run restores them with their remaining time, reason and repeat
# count, and enforces them from its first packet. A daemon killed with
# SIGKILL loses nothing saved by then. A corrupt state file is reported
# and set aside, never trusted.
. "$(dirname "$0")/lib.sh"
need_root
need_tools ping nsenter ip python3
ensure_bpffs

make_lan
blocked() { ! in_ns "$1" ping -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
passes() { in_ns "$1" ping -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
ST=$T_DIR/state/state.json
# What a reboot leaves: no program, no pins.
reboot() {
	xg "$V" detach -i eth0 >/dev/null 2>&1
	rm -rf "$XDPGUARD_PIN_DIR"
}

start_daemon "$V" eth0 --state-file "$ST" --state-interval 1s
ok $? "run with a state file"
check "ban the attacker for 1h as a port scanner" \
	xg "$V" ban 10.77.0.66 --ttl 1h --reason port_scan
check "ban fd77::40/122 for 2h" xg "$V" ban fd77::40/122 --ttl 2h
printf '192.0.2.0/24\n2001:db8::/32\n' >"$T_DIR/drop.txt"
check "import a list with a note" xg "$V" import "$T_DIR/drop.txt" --reason spamhaus
check "allow 198.51.100.0/24" xg "$V" allow 198.51.100.0/24
stop_daemon
check "SIGTERM wrote the state file" test -s "$ST"
check "... and the list's own file" sh -c "ls '$ST.d' | grep -q '^drop.txt-[0-9a-f]*\.netset$'"
check "no temporary file is left" sh -c "[ -z \"\$(find '$T_DIR/state' -name '*.tmp')\" ]"

reboot
check "reboot: no pins left" test ! -e "$XDPGUARD_PIN_DIR"
start_daemon "$V" eth0 --state-file "$ST" --state-interval 1s
ok $? "run again after the reboot"
check "the start reports what it restored" \
	grep -q '"event":"state".*restored 1 bans, 1 prefix bans, 1 blocklists (2 prefixes) and 1 allowlist entries' "$T_DIR/daemon.log"
b=$(xg "$V" bans --json)
n=$(echo "$b" | jq_py "len([x for x in d if x['addr'] == '10.77.0.66' and x['reason'] == 'port_scan' and x['repeat'] == 1 and 3500 < x['expires_in'] <= 3601])")
ok $([ "$n" = 1 ]; echo $?) "the ban is back with its reason and remaining time, rounded up to the second ($b)"
n=$(echo "$b" | jq_py "len([x for x in d if x['addr'] == 'fd77::40/122' and 7100 < x['expires_in'] <= 7201])")
ok $([ "$n" = 1 ]; echo $?) "the prefix ban is back with its remaining time"
check "the list is back with its note" \
	sh -c "'$XDPGUARD' bans | grep -q '^drop.txt .* 2 never .* spamhaus'"
check "the allowlist is back" sh -c "'$XDPGUARD' allows | grep -qx 198.51.100.0/24"
check "the attacker is blocked again (IPv4)" blocked "$X" 10.77.0.1
check "the attacker is blocked again (IPv6 prefix)" blocked "$X" fd77::1
check "the client passes" passes "$C" 10.77.0.1

# A crash: what the periodic save had is what survives.
check "ban 10.77.0.10 (the client) for 1h" xg "$V" ban 10.77.0.10 --ttl 1h
check "unban the attacker" xg "$V" unban 10.77.0.66
# Both changes, not just the first: a save may fall between the two.
wait_for 5 sh -c "grep -q '\"10.77.0.10\"' '$ST' && ! grep -q '\"10.77.0.66\"' '$ST'"
ok $? "both changes are saved within state_interval"
{
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID"
} 2>/dev/null
DAEMON_PID=
reboot
start_daemon "$V" eth0 --state-file "$ST"
ok $? "run after a crash and a reboot"
check "the client's ban survived the crash" blocked "$C" 10.77.0.1
check "the attacker's unban survived too" wait_for 5 passes "$X" 10.77.0.1
check "unban the client" xg "$V" unban 10.77.0.10
stop_daemon

# A corrupt state file: reported, set aside, not trusted.
python3 - "$ST" <<'EOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["bans"].append({"addr": "10.77.0.999", "reason": "manual", "created": 1,
                  "expires": None, "repeat": 1})
s["bans"].append({"addr": "10.77.0.10", "reason": "manual", "created": 1,
                  "expires": None, "repeat": 1})
json.dump(s, open(p, "w"))
EOF
reboot
start_daemon "$V" eth0 --state-file "$ST"
ok $? "run with a corrupt state file still starts"
check "the corruption is reported with the reason" \
	grep -q '"event":"error".*corrupt.*10.77.0.999' "$T_DIR/daemon.log"
check "the file is set aside as state.json.corrupt-<time>" \
	sh -c "ls '$T_DIR/state' | grep -q '^state.json.corrupt-[0-9]*$'"
check "nothing of it was trusted: the client passes" passes "$C" 10.77.0.1
n=$(xg "$V" bans --json | jq_py "len(d)")
ok $([ "$n" = 0 ]; echo $?) "no ban was restored from it ($n)"
stop_daemon
check "the next save writes a fresh state file" test -s "$ST"

finish
