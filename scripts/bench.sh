#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make bench`: measures xdpguard beside an empty XDP program and Debian's
# xdp-filter in one run, so the ratios are fair on a shared, noisy machine,
# and prints one table. Needs root. Never part of `make test`.
#
#  1. per-packet cost through BPF_PROG_TEST_RUN     (.output/tests/xg_bench prog)
#  2. live drop rate, two namespaces joined by veth, native XDP on the
#     receiver, our own live-frames sender (tests/bpf/bench_blast.bpf.c)
#  3. one daemon poll over 10k, 100k, 1M tracked sources, the ban sweep
#     over a full ban table, and the daemon's CPU share while it follows a
#     flood of 1M sources
#  4. memory of every map at default and maximum sizes
#
# Knobs (environment): BENCH_ROUNDS (test-run rounds, 5), BENCH_RUNS (live
# runs per setup, 5), BENCH_SECS (seconds per live run, 2), BENCH_POLL
# (source counts, "10000 100000 1000000"),
# BENCH_ONLY (any of "prog live poll mem"; default all). Every namespace,
# program and pin it creates is removed on exit, pass or fail; every run is
# bounded by `timeout`.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/.output
XGB=$OUT/tests/xg_bench
ROUNDS=${BENCH_ROUNDS:-5}
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECS:-2}
POLL_SIZES=${BENCH_POLL:-10000 100000 1000000}
ONLY=${BENCH_ONLY:-prog live poll mem}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF_PROG_TEST_RUN, namespaces, XDP)" >&2
	exit 1
fi
for f in "$XGB" "$OUT/xdpguard" "$OUT/bench_empty.bpf.o" \
	"$OUT/bench_blast.bpf.o" "$OUT/bench_rotate.bpf.o"; do
	[ -e "$f" ] || { echo "bench: $f missing: run 'make bench'" >&2; exit 1; }
done

# The live part reuses the live tests' helpers: namespaces and daemons are
# registered there and torn down on exit; the pin dir is private.
T_ID=bench$$
. "$ROOT/tests/live/lib.sh"
XDPGUARD=$OUT/xdpguard
RES=$T_DIR/results
: >"$RES"
# xdp-filter pins under /sys/fs/bpf/xdp-filter: unload it before the
# namespaces go, then the live tests' teardown.
bench_teardown() {
	[ -n "$XF_LOADED" ] && in_ns "$RX" xdp-filter unload rxf >/dev/null 2>&1
	# libxdp leaves its (then empty) pin directory behind.
	rmdir /sys/fs/bpf/xdp 2>/dev/null
	teardown
}
trap bench_teardown EXIT
log() { printf 'bench: %s\n' "$*" >&2; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
add_row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RES"; }

# Median and spread of numbers on stdin: "median min max n".
stats() { sort -g | awk '{v[NR]=$1} END {if (!NR) {print "0 0 0 0"; exit}
	m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
	print m, v[1], v[NR], NR}'; }

# --- 1. per-packet cost --------------------------------------------------
if want prog; then
	log "per-packet cost: BPF_PROG_TEST_RUN, $ROUNDS rounds of 1e6 runs"
	timeout 300 "$XGB" prog "$ROUNDS" >>"$RES" || log "prog part failed"
fi

# --- 2. live drop rates --------------------------------------------------
TX=xgbt$T_ID RX=xgbr$T_ID XF_LOADED=
SRC=10.77.200.1 DST=10.77.200.2
# The flood: 2^20 sources in 10.96.0.0/12, and two real attackers in it.
FLOOD_SRC=10.96.0.0 FLOOD_BITS=20 ATTACK_EVERY=1000 ATTACK=10.77.201.66
# Frames go to a MAC nobody owns: what XDP passes, the stack then drops at
# its first check (PACKET_OTHERHOST), so a passed packet costs the kernel
# the least it can, and no reply ever leaves the receiver.
DMAC=02:00:00:00:be:ef

# Five veth pairs from namespace TX to namespace RX, one per setup, so that
# runs can interleave (a burst of load from elsewhere then hits every setup
# alike) without attaching and detaching in between.
SETUPS="drop xf pass ban flood"

rx_pkts() { # setup
	ip netns exec "$RX" ethtool -S "r$1" |
		awk '/rx_queue_0_xdp_packets/ {s += $2} END {print s + 0}'
}

# One live run: prints packets per second the receiver's XDP program saw.
# Sender and receiver share a CPU: the receiver's NAPI poll runs in the
# sender's context after each batch, so the rate is that of the whole path.
blast() { # setup, seconds, blast args...
	local set=$1 secs=$2 a b out
	shift 2
	a=$(rx_pkts "$set")
	out=$(timeout $((secs + 30)) nsenter --net=/run/netns/"$TX" \
		"$XGB" blast "t$set" "$secs" "$DMAC" "$@") || return 1
	b=$(rx_pkts "$set")
	awk -v n=$((b - a)) -v t="${out#* }" 'BEGIN {printf "%.0f\n", n / t}'
}

args_of() { # setup
	case $1 in
	drop | xf | ban) echo $SRC $DST ;;
	pass) echo $FLOOD_SRC $DST $FLOOD_BITS ;;
	flood) echo $FLOOD_SRC $DST $FLOOD_BITS $ATTACK_EVERY $ATTACK ;;
	esac
}

name_of() { # setup
	case $1 in
	drop) echo "empty XDP program (XDP_DROP), one source" ;;
	xf) echo "xdp-filter (load; ip -m src), sender blocked" ;;
	pass) echo "empty XDP program (XDP_PASS), 1M-source flood" ;;
	ban) echo "xdpguard, sender banned" ;;
	flood) echo "xdpguard, SYN flood from 1M sources (counted, passed)" ;;
	esac
}

attach() { in_ns "$RX" "$XGB" xdp "$@"; }
daemon_ticks() { awk '{print $14 + $15}' /proc/"$DAEMON_PID"/stat; }

live() {
	local set r rate t0 ticks=0 busy=0 a b w0 w1 s hz=$(getconf CLK_TCK)

	new_ns "$TX" && new_ns "$RX" || return 1
	for set in $SETUPS; do
		ip link add "t$set" netns "$TX" type veth peer name "r$set" \
			netns "$RX" &&
			ip -n "$TX" link set "t$set" up &&
			ip -n "$RX" link set "r$set" up || return 1
	done
	attach rdrop "$OUT/bench_empty.bpf.o" xdp_drop || return 1
	attach rpass "$OUT/bench_empty.bpf.o" xdp_pass || return 1
	if command -v xdp-filter >/dev/null &&
		in_ns "$RX" xdp-filter load -m native rxf >/dev/null 2>&1 &&
		XF_LOADED=1 &&
		in_ns "$RX" xdp-filter ip -m src $SRC >/dev/null 2>&1; then
		:
	else
		add_row live_xf live "$(name_of xf)" 0 Mpps \
			"not measured: xdp-filter missing or failed to load"
		SETUPS=${SETUPS/xf /}
	fi
	start_daemon "$RX" rban -i rflood --mode native || return 1
	xg "$RX" ban $SRC >/dev/null || return 1

	log "live: $RUNS rounds of ${SECS}s per setup ($SETUPS), interleaved"
	t0=
	for r in $(seq 1 "$RUNS"); do
		for set in $SETUPS; do
			if [ "$set" = flood ]; then
				a=$(daemon_ticks)
				w0=$(date +%s.%N)
				t0=${t0:-$w0}
			fi
			rate=$(blast "$set" "$SECS" $(args_of "$set")) || return 1
			echo "$rate" >>"$T_DIR/live_$set"
			if [ "$set" = flood ]; then
				b=$(daemon_ticks)
				w1=$(date +%s.%N)
				ticks=$((ticks + b - a))
				busy=$(awk -v x="$busy" -v a="$w0" -v b="$w1" 'BEGIN {print x + b - a}')
			fi
		done
	done
	for set in $SETUPS; do
		s=($(stats <"$T_DIR/live_$set"))
		add_row "live_$set" live "$(name_of "$set")" \
			"$(awk -v v="${s[0]}" 'BEGIN {print v / 1e6}')" Mpps \
			"$(awk -v a="${s[1]}" -v b="${s[2]}" -v n="${s[3]}" \
				'BEGIN {printf "%d runs %.2f..%.2f", n, a / 1e6, b / 1e6}')"
	done
	add_row daemon_cpu live "daemon CPU while following the flood" \
		"$(awk -v t="$ticks" -v hz="$hz" -v b="$busy" 'BEGIN {printf "%.1f", 100 * t / hz / b}')" \
		"% of a core" "over $(printf '%.0f' "$busy") s of flood"

	# The two attackers hidden in the flood: banned, and how soon after the
	# first flood run began.
	local who ev ts scanner
	scanner=$(echo $ATTACK | awk -F. '{print $1"."$2"."$3"."$4+1}')
	for who in "$ATTACK syn_flood" "$scanner port_scan"; do
		set -- $who
		ev=$(grep '"event":"ban"' "$T_DIR/daemon.log" | grep "\"src\":\"$1\"" | head -1)
		if [ -n "$ev" ]; then
			ts=$(echo "$ev" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
			add_row "detect_$2" live "attacker $1 ($2) hidden in the flood" \
				"$(awk -v a="$t0" -v b="$(date -d "$ts" +%s.%N)" 'BEGIN {printf "%.2f", b - a}')" \
				"s to ban" "$(echo "$ev" | sed 's/.*"kind":"\([^"]*\)".*/detected as \1/')"
		else
			add_row "detect_$2" live "attacker $1 ($2) hidden in the flood" \
				-1 "s to ban" "NOT banned"
		fi
	done
	add_row flood_bans live "flood sources banned (false positives)" \
		"$(grep '"event":"ban"' "$T_DIR/daemon.log" |
			grep -c '"src":"10\.\(9[6-9]\|10[0-9]\|11[01]\)\.')" bans ""
	stop_daemon
}

if want live; then
	live || log "live part failed"
fi

# --- 3. user space -------------------------------------------------------
if want poll; then
	for n in $POLL_SIZES; do
		log "poll: $n tracked sources"
		timeout 240 "$XGB" poll "$n" "$ROUNDS" >>"$RES" || log "poll $n failed"
	done
	# Why the table is read through mmap: the batch API on each hash type.
	log "poll: reading 2^20 entries, batch API against mmap"
	timeout 240 "$XGB" readpath 3 >>"$RES" || log "readpath failed"
	# Every poll also lists the bans: a full table at the default size.
	log "poll: the ban sweep over 65,536 live bans"
	timeout 120 "$XGB" sweep 65536 "$ROUNDS" >>"$RES" || log "sweep failed"
fi

# --- 4. memory -----------------------------------------------------------
if want mem; then
	log "memory of every map"
	timeout 120 "$XGB" mem >>"$RES" || log "mem part failed"
fi

# --- the table -----------------------------------------------------------
ncpu=$(nproc)
printf '\nxdpguard bench: %s, kernel %s, %s CPUs, load %s\n' "$(date -u +%FT%TZ)" \
	"$(uname -r)" "$ncpu" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'medians; test runs: %s rounds of 1e6; live: %s runs each\n\n' "$ROUNDS" "$RUNS"
awk -F'\t' '
function v(k) { return (k in val) ? val[k] : -1 }
function tgt(name, got, goal, met) {
	t[++nt] = sprintf("%s\t%s\t%s\t%s", name, got, goal, met ? "met" : "NOT met")
}
{
	val[$1] = $4
	r[++n] = $0
}
END {
	w = 10
	for (i = 1; i <= n; i++) {
		split(r[i], f, "\t")
		if (length(f[3]) > w) w = length(f[3])
	}
	fmt = "%-7s  %-" w "s  %10s %-12s %s\n"
	printf fmt, "part", "measurement", "value", "unit", "note"
	for (i = 1; i <= n; i++) {
		split(r[i], f, "\t")
		printf fmt, f[2], f[3], sprintf("%.4g", f[4]), f[5], f[6]
	}
	fl = v("floor")
	if (fl > 0 && v("banned") > 0) {
		tgt("banned address <= 2.5x floor", sprintf("%.2fx", v("banned") / fl), "<= 2.50x", v("banned") <= 2.5 * fl)
		if (v("xf_all_blocked") > 0)
			tgt("banned below xdp-filter blocked (alw_all)", sprintf("%.0f vs %.0f ns", v("banned"), v("xf_all_blocked")), "<", v("banned") < v("xf_all_blocked"))
		if (v("xf_ip_blocked") > 0)
			tgt("banned below xdp-filter blocked (alw_ip)", sprintf("%.0f vs %.0f ns", v("banned"), v("xf_ip_blocked")), "<", v("banned") < v("xf_ip_blocked"))
	}
	if (v("known") > 0) {
		if (v("xf_all_allowed") > 0)
			tgt("known source below xdp-filter allowed (alw_all)", sprintf("%.0f vs %.0f ns", v("known"), v("xf_all_allowed")), "<", v("known") < v("xf_all_allowed"))
		if (v("xf_ip_allowed") > 0)
			tgt("known source below xdp-filter allowed (alw_ip)", sprintf("%.0f vs %.0f ns", v("known"), v("xf_ip_allowed")), "<", v("known") < v("xf_ip_allowed"))
	}
	d = v("live_drop")
	if (d > 0) {
		if (v("live_ban") >= 0)
			tgt("live: banned sender >= 90% of empty XDP_DROP", sprintf("%.0f%%", 100 * v("live_ban") / d), ">= 90%", v("live_ban") >= 0.9 * d)
		if (v("live_flood") >= 0)
			tgt("live: 1M-source flood >= 30% of empty XDP_DROP", sprintf("%.0f%%", 100 * v("live_flood") / d), ">= 30%", v("live_flood") >= 0.3 * d)
	}
	if (v("detect_syn_flood") != -1 || v("detect_port_scan") != -1)
		tgt("live: attackers in the flood banned", sprintf("%s s, %s s", v("detect_syn_flood"), v("detect_port_scan")), "both", v("detect_syn_flood") >= 0 && v("detect_port_scan") >= 0)
	if (v("poll_idle_1000000") >= 0)
		tgt("one poll over 1M tracked sources (idle)", sprintf("%.0f ms", v("poll_idle_1000000")), "<= 100 ms", v("poll_idle_1000000") <= 100)
	if (v("poll_active_1000000") >= 0)
		tgt("one poll over 1M tracked sources (all active)", sprintf("%.0f ms", v("poll_active_1000000")), "<= 100 ms", v("poll_active_1000000") <= 100)
	for (i = 1; i <= nt; i++) {
		split(t[i], f, "\t")
		printf fmt, "target", f[1], f[2], "goal " f[3], f[4]
	}
}' "$RES"
