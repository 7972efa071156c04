#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by the live tests: TAP output, network namespaces joined by veth,
# a private pin directory, and a teardown that runs on every exit.
#
# Every test builds its own namespaces and veths (names carry the test's pid),
# never touches a host interface, bounds every wait, and removes namespaces,
# daemons and pins on exit, pass or fail.

XDPGUARD=${XDPGUARD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.output/xdpguard}
T_N=0
T_FAIL=0
T_ID=${T_ID:-$$}
T_NS=()
T_PIDS=()
T_DIR=$(mktemp -d /tmp/xg-live.XXXXXX)
# A pin dir of the test's own, so a real xdpguard on the host is left alone.
export XDPGUARD_PIN_DIR=/sys/fs/bpf/xg-test-$T_ID

ok() { # cond-status, name
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAIL=$((T_FAIL + 1))
	fi
}

check() { # name, command...
	local name=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$name"
}

diag() { echo "# $*"; }

skip_all() {
	echo "1..0 # SKIP $*"
	echo "ok 1 - $(basename "$0" .sh) # SKIP $*"
	exit 0
}

need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }

need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_all "$t not installed"
	done
}

ensure_bpffs() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# nsenter keeps our mount namespace (so the pins are shared); ip netns exec
# would remount /sys and hide them.
in_ns() { # ns, command...
	local ns=$1
	shift
	nsenter --net=/run/netns/"$ns" "$@"
}

xg() { # ns, xdpguard args...
	local ns=$1
	shift
	in_ns "$ns" "$XDPGUARD" "$@"
}

new_ns() { # name
	ip netns add "$1" && T_NS+=("$1")
	ip -n "$1" link set lo up
}

# veth between two namespaces: link NS_A IF_A ADDR_A NS_B IF_B ADDR_B (CIDR)
link_ns() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# Evaluates a Python expression over the JSON on stdin (as d) and prints it.
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Starts the daemon in NS on IF with extra args; its output goes to $T_DIR/daemon.log.
start_daemon() { # ns, if, args...
	local ns=$1 dev=$2 i
	shift 2
	: >"$T_DIR/daemon.log"
	# nsenter execs xdpguard, so $! is the daemon itself (a shell function
	# run with & would put a subshell in between and eat our signals).
	# XG_DAEMON_WRAP (e.g. valgrind ...) runs the daemon under a tool.
	# Fresh state unless the test names a state file: the daemon's default
	# one would bring back the bans of an earlier daemon of the test.
	case " $* " in
	*" --state-file "*) ;;
	*) set -- "$@" --state-file none ;;
	esac
	nsenter --net=/run/netns/"$ns" ${XG_DAEMON_WRAP:-} "$XDPGUARD" run \
		-i "$dev" --json "$@" >"$T_DIR/daemon.log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS+=("$DAEMON_PID")
	for i in $(seq 1 300); do
		grep -q '"event":"start"' "$T_DIR/daemon.log" && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "daemon did not start:"
	sed 's/^/#   /' "$T_DIR/daemon.log"
	return 1
}

stop_daemon() {
	local i
	[ -n "${DAEMON_PID:-}" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	for i in $(seq 1 50); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	DAEMON_PID=
}

# Waits up to $2 seconds (in 0.1 s steps) for a command to succeed.
wait_for() { # timeout-seconds, command...
	local t=$1 i
	shift
	for i in $(seq 1 $((t * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

has_xdp() { # ns, if
	ip -n "$1" -d link show dev "$2" | grep -qE 'prog/xdp|xdp(generic|drv)? '
}

teardown() {
	local p ns
	for p in "${T_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${T_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${T_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$XDPGUARD_PIN_DIR" "$T_DIR"
	# The lock and the state files (alarms.json, samples.json, lists.lock) in /run.
	rm -f "/run/xdpguard-$(basename "$XDPGUARD_PIN_DIR")".*
	# The daemon's state file (named after the pin dir) and its lists.
	rm -rf "/var/lib/xdpguard/state-$(basename "$XDPGUARD_PIN_DIR")".json*
}

finish() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
}

trap teardown EXIT
trap 'exit 130' INT TERM

# A small LAN: victim V (10.77.0.1, fd77::1), attacker X (10.77.0.66,
# fd77::66) and client C (10.77.0.10, fd77::10) on a bridge in switch ns S.
# xdpguard guards V's interface "eth0". Sets V, X, C, S.
make_lan() {
	V=xgv$T_ID X=xgx$T_ID C=xgc$T_ID S=xgs$T_ID
	local n
	for n in "$V" "$X" "$C" "$S"; do new_ns "$n"; done
	ip -n "$S" link add br0 type bridge
	ip -n "$S" link set br0 up
	lan_port "$V" 10.77.0.1 fd77::1 pv
	lan_port "$X" 10.77.0.66 fd77::66 px
	lan_port "$C" 10.77.0.10 fd77::10 pc
}

lan_port() { # ns, v4, v6, switch-side name
	ip link add eth0 netns "$1" type veth peer name "$4" netns "$S"
	ip -n "$S" link set "$4" master br0 up
	ip -n "$1" addr add "$2"/24 dev eth0
	ip -n "$1" addr add "$3"/64 dev eth0 nodad
	ip -n "$1" link set eth0 up
}
