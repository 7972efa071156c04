#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by the detection live tests (detect_*.sh), on top of lib.sh: the LAN
# with an HTTP server on the victim, a daemon with fresh state per attack, a
# benign client browsing and pinging alongside, and readers of the daemon's
# JSON events, the ban table and the time to ban. Not a test itself (named
# .bash so scripts/run-tests.sh does not run it).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TRAFFIC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/xgtraffic.py"
ATTACKER=10.77.0.66
CLIENT=10.77.0.10
VICTIM=10.77.0.1
PORT=8080

# The LAN of lib.sh plus an HTTP server on the victim.
detect_lan() {
	make_lan
	in_ns "$V" python3 "$TRAFFIC" serve "$VICTIM" "$PORT" >/dev/null 2>&1 &
	T_PIDS+=($!)
	wait_for 10 in_ns "$C" curl -sf -o /dev/null --max-time 2 \
		"http://$VICTIM:$PORT/"
}

# Stops the daemon and drops its maps, so that the next attack is judged on
# its own (no counters, windows, histories or bans left over), then starts
# a new one with the given arguments.
fresh_daemon() { # run args...
	stop_daemon
	rm -rf "$XDPGUARD_PIN_DIR"
	start_daemon "$V" eth0 "$@"
}

# Daemon events matching every key=value, as JSON lines.
events() { # key=value...
	python3 - "$T_DIR/daemon.log" "$@" <<'EOF'
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[2:])
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if all(str(e.get(k)) == v for k, v in want.items()):
        print(line, end="")
EOF
}

# Runs a bounded command in ns in the background; BG is its pid. nsenter
# execs it, so BG is the command itself and `kill $BG` reaches it (a shell
# function run with & would put a subshell in between: killed, it would
# leave the command running).
bg_in_ns() { # ns, command...
	local ns=$1
	shift
	nsenter --net=/run/netns/"$ns" "$@" >>"$T_DIR/bg.log" 2>&1 &
	BG=$!
	T_PIDS+=("$BG")
}

nevents() { events "$@" | wc -l; }
has_event() { [ "$(nevents "$@")" -gt 0 ]; }

# The live ban of addr, as "reason repeat", from `xdpguard bans --json`.
ban_of() { # addr
	xg "$V" bans --json | python3 -c '
import json, sys
for b in json.load(sys.stdin):
    if b["addr"] == sys.argv[1]:
        print(b["reason"], b["repeat"])' "$1"
}

# Packets dropped for reason, from `xdpguard stats --json`.
drops() { # reason
	xg "$V" stats --json --interval 0.1 --top 0 | python3 -c '
import json, sys
print(json.load(sys.stdin)["drop"].get(sys.argv[1], {}).get("pkts", 0))' "$1"
}

pings_fail() { # ns
	! in_ns "$1" ping -q -c 2 -i 0.2 -W 1 "$VICTIM" >/dev/null 2>&1
}

# Time to ban of addr (see time_to_ban in xgtraffic.py), as a TAP
# diagnostic; sets TTB (seconds) and TTB_PKTS (packets that got through).
time_to_ban() { # label, addr
	local j
	j=$(python3 "$TRAFFIC" ttb "$XDPGUARD_PIN_DIR" "$2")
	TTB=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("ttb_s", 99))' "$j")
	TTB_PKTS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("pkts", 0))' "$j")
	diag "time to ban: $1 $TTB s ($TTB_PKTS packets got through) $j"
}

# Less than, for decimal seconds.
lt() { python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))' "$1" "$2"; }

# The benign client: a browser (48 keep-alive connections at once and 42
# new ones over SECONDS, ~90 new connections in all) and a pinger (1/s),
# both in the client namespace, in the background.
benign_start() { # seconds
	in_ns "$C" timeout $(($1 + 40)) python3 "$TRAFFIC" browse "$VICTIM" \
		"$PORT" "$1" 48 42 >"$T_DIR/browse.json" 2>&1 &
	BROWSE_PID=$!
	in_ns "$C" timeout $(($1 + 10)) ping -c "$1" -i 1 -W 3 "$VICTIM" \
		>"$T_DIR/ping.log" 2>&1 &
	PING_PID=$!
}

# Waits for the benign client and checks it finished its work unbanned.
benign_check() { # label
	local got sent
	wait "$BROWSE_PID"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(not (r["failed"] == 0 and r["ok"] >= 400 and r["conns"] == 90))' \
		"$T_DIR/browse.json" 2>/dev/null
	ok $? "$1: the browser (48 parallel + 42 new connections) got every page: $(cat "$T_DIR/browse.json")"
	wait "$PING_PID"
	read -r sent got < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$T_DIR/ping.log")
	ok $([ "${got:-0}" -ge $((${sent:-0} - 1)) ] && [ "${sent:-0}" -gt 0 ]; echo $?) \
		"$1: the pinger got its replies (${got:-?} of ${sent:-?})"
	ok "$(nevents src="$CLIENT")" "$1: no event names the client"
	check "$1: the client is not banned" test -z "$(ban_of "$CLIENT")"
}
