#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Observability during a real SYN flood: the Prometheus endpoint (scraped
# with curl, checked with promtool and a strict parser, counters moving in
# step with `stats --json`), the JSON-lines event log reopened on SIGHUP,
# active alarms, drop samples (`samples`, and a pcap file tcpdump reads),
# and bad --metrics values refused before anything is attached.
. "$(dirname "$0")/lib.sh"
need_root
need_tools nsenter ip curl hping3 tcpdump python3
ensure_bpffs

PORT=9100
LOG=$T_DIR/events.log
PCAP=$T_DIR/drops.pcap
PP="python3 $(dirname "$0")/promparse.py"
SYN_DROPS='xdpguard_packets_total{verdict="drop",reason="syn_flood"}'

skip_one() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }
scrape() { in_ns "$V" curl -sf --max-time 5 "http://127.0.0.1:$PORT/metrics" -o "$1"; }
val() { $PP "$1" "$2"; }
# Sum of every series of a family in a scrape.
total() { python3 -c "
import re,sys
print(sum(int(float(l.rsplit(' ',1)[1])) for l in open('$1') if l.startswith('$2{')))"; }

make_lan

# Mistakes are refused before anything is attached.
out=$(xg "$V" run -i eth0 --metrics 1.2.3:9100 2>&1)
ok $([ $? -eq 2 ] && echo "$out" | grep -q "invalid metrics address '1.2.3:9100'"; echo $?) \
	"--metrics 1.2.3:9100 is refused (exit 2): $out"
in_ns "$V" python3 -c "
import socket,time
s=socket.socket(); s.bind(('127.0.0.1',9200)); s.listen(); time.sleep(30)" &
BUSY=$!
T_PIDS+=("$BUSY")
wait_for 5 in_ns "$V" sh -c "ss -ltn | grep -q 127.0.0.1:9200"
out=$(xg "$V" run -i eth0 --metrics 9200 2>&1)
ok $([ $? -eq 1 ] && echo "$out" | grep -q "cannot serve metrics on 9200: Address already in use"; echo $?) \
	"a busy metrics port is one clear error: $out"
check "nothing attached after the refusals" eval "! has_xdp $V eth0"
kill "$BUSY" 2>/dev/null

start_daemon "$V" eth0 --metrics "$PORT" --log-file "$LOG" --pcap "$PCAP"
ok $? "run with --metrics $PORT --log-file --pcap"

check "GET /metrics" scrape "$T_DIR/m0"
n=$($PP "$T_DIR/m0")
ok $([ "${n:-0}" -gt 50 ]; echo $?) "every line of the scrape parses ($n series)"
if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$T_DIR/m0" 2>&1)
	ok $? "promtool check metrics: clean ${out:+($out)}"
else
	skip_one "promtool check metrics" "promtool not installed (Debian: prometheus)"
fi
ct=$(in_ns "$V" curl -s --max-time 5 -o /dev/null -w '%{content_type}' "http://127.0.0.1:$PORT/metrics")
ok $([ "$ct" = "text/plain; version=0.0.4; charset=utf-8" ]; echo $?) "content type ($ct)"
code=$(in_ns "$V" curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")
ok $([ "$code" = 404 ]; echo $?) "unknown path: 404 ($code)"
code=$(in_ns "$V" curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")
ok $([ "$code" = 405 ]; echo $?) "POST: 405 ($code)"
check "loopback only: not served on 10.77.0.1" \
	eval "! in_ns $V curl -sf --max-time 2 http://10.77.0.1:$PORT/metrics"

# A SYN flood from X (500/s, stopped below; 30 s at most): banned within a
# second, then dropped.
T_FLOOD=$(date +%s.%N)
in_ns "$X" timeout 30 hping3 -q -S -p 80 -i u2000 10.77.0.1 >/dev/null 2>&1 &
FLOOD=$!
T_PIDS+=("$FLOOD")
wait_for 5 grep -q '"event":"ban".*"src":"10.77.0.66"' "$LOG"
ok $? "the flood is banned; the ban is in the log file"
grep -q '"event":"start"' "$LOG"
ok $? "the log file has the start event"
python3 -c "
import json,sys
for l in open('$LOG'): d=json.loads(l); assert 'ts' in d and 'event' in d
" 2>/dev/null
ok $? "every log line is a JSON object with ts and event"

# Counters move consistently: scrape, stats --json, scrape, in that order.
sleep 1
scrape "$T_DIR/m1"
st=$(xg "$V" stats --json --interval 0.5)
scrape "$T_DIR/m2"
T_M2=$(date +%s.%N)
d1=$(val "$T_DIR/m1" "$SYN_DROPS")
d2=$(val "$T_DIR/m2" "$SYN_DROPS")
ds=$(echo "$st" | jq_py "d['drop'].get('syn_flood',{}).get('pkts',0)")
ok $([ "$d1" -gt 0 ] && [ "$d1" -le "$ds" ] && [ "$ds" -le "$d2" ] && [ "$d2" -gt "$d1" ]; echo $?) \
	"syn_flood drops: scrape $d1 <= stats $ds <= scrape $d2, and moving"
t1=$(total "$T_DIR/m1" xdpguard_packets_total)
t2=$(total "$T_DIR/m2" xdpguard_packets_total)
ts=$(echo "$st" | jq_py "d['total_pkts']")
ok $([ "$t1" -le "$ts" ] && [ "$ts" -le "$t2" ]; echo $?) \
	"all packets: scrape $t1 <= stats $ts <= scrape $t2"
p1=$(val "$T_DIR/m1" 'xdpguard_packets_total{verdict="pass",reason="counted"}')
ps=$(echo "$st" | jq_py "d['pass']['pkts']")
p2=$(val "$T_DIR/m2" 'xdpguard_packets_total{verdict="pass",reason="counted"}')
ok $([ "$p1" -le "$ps" ] && [ "$ps" -le "$p2" ]; echo $?) \
	"passed packets: scrape $p1 <= stats $ps <= scrape $p2"
b1=$(val "$T_DIR/m1" 'xdpguard_bytes_total{verdict="drop",reason="syn_flood"}')
ok $([ "$b1" -ge $((d1 * 54)) ]; echo $?) "drop bytes >= 54 per SYN ($b1 for $d1)"
rate=$(echo "$st" | jq_py "int(d['drop']['syn_flood']['pps'])")
ok $([ "$rate" -ge 100 ] && [ "$rate" -le 1000 ]; echo $?) \
	"stats sees the flood's drop rate (~500/s: $rate)"

m=$T_DIR/m2
ok $([ "$(val $m 'xdpguard_alerts_total{kind="syn_flood"}')" -ge 1 ]; echo $?) "alerts_total{kind=syn_flood} counts the alert"
ok $([ "$(val $m 'xdpguard_bans_total{kind="syn_flood"}')" -ge 1 ]; echo $?) "bans_total{kind=syn_flood} counts the ban"
ok $([ "$(val $m 'xdpguard_bans_active{reason="syn_flood"}')" -eq 1 ]; echo $?) "bans_active{reason=syn_flood} is 1"
ok $([ "$(val $m 'xdpguard_map_entries{map="bans"}')" -ge 1 ]; echo $?) "map fill: bans has an entry"
ok $([ "$(val $m 'xdpguard_map_entries{map="src_stats"}')" -ge 2 ]; echo $?) "map fill: src_stats tracks sources"
ok $([ "$(val $m 'xdpguard_map_max_entries{map="src_stats"}')" -eq 131072 ]; echo $?) "map capacity of src_stats"
n=$(val $m xdpguard_time_to_ban_seconds_count)
le=$(val $m 'xdpguard_time_to_ban_seconds_bucket{le="2"}')
ok $([ "$n" -ge 1 ] && [ "$le" -eq "$n" ]; echo $?) "time to ban observed, within 2 s ($le of $n)"
pc=$(val $m xdpguard_poll_duration_seconds_count)
ok $([ "$pc" -ge 10 ]; echo $?) "poll latency histogram counts polls ($pc)"
kept=$(val $m 'xdpguard_drop_samples_total{outcome="kept"}')
over=$(val $m 'xdpguard_drop_samples_total{outcome="over_rate"}')
ok $([ "$kept" -ge 1 ]; echo $?) "drop samples counted ($kept kept, $over over the rate)"
# The kernel's budget: 10 per CPU per 1.07 s window, whatever the drop rate.
cpus=$(nproc --all)
ok $(python3 -c "import sys; sys.exit(not ($kept + $over <= $cpus * 10 * (($T_M2 - $T_FLOOD) / 1.07 + 2)))"; echo $?) \
	"the kernel offered at most 10/s per CPU ($((kept + over)) in $(python3 -c "print('%.1f' % ($T_M2 - $T_FLOOD))") s, $cpus CPUs)"

# Alarms: the daemon publishes them; stats --json carries them.
al=$(echo "$st" | jq_py "[a['action'] for a in d['alarms'] if a['kind']=='syn_flood' and a['src']=='10.77.0.66']")
ok $([ "$al" = "['ban']" ]; echo $?) "stats --json lists the syn_flood alarm as a ban ($al)"

# Samples: headers of the dropped SYNs, at most 10 kept per second.
sj=$(xg "$V" samples --json)
n=$(echo "$sj" | jq_py "len(d)")
good=$(echo "$sj" | jq_py "len([s for s in d if s['src']=='10.77.0.66' and s['dport']==80 and s['tcp_flags']=='S' and s['reason']=='syn_flood' and s['proto']==6])")
ok $([ "$n" -ge 3 ] && [ "$good" -eq "$n" ]; echo $?) "samples --json: $good of $n are X's SYNs to port 80"
# The cap is a bucket of 10 refilled at 10/s: n <= 10 + 10 * seconds + 1.
span=$(echo "$sj" | python3 -c "
import json,sys,datetime
d=json.load(sys.stdin)
t=[datetime.datetime.fromisoformat(s['ts'].replace('Z','+00:00')) for s in d]
print('%.2f' % (t[-1]-t[0]).total_seconds())")
ok $(python3 -c "import sys; sys.exit(not ($n <= 11 + 10 * $span))"; echo $?) \
	"sampling is rate-limited: $n samples over $span s"
txt=$(xg "$V" samples --count 2)
ok $([ "$(echo "$txt" | grep -c '10.77.0.66 > 10.77.0.1 tcp [0-9]* > 80 \[S\]')" -eq 2 ]; echo $?) \
	"samples --count 2 prints two readable lines"
out=$(tcpdump -nr "$PCAP" 2>/dev/null)
n=$(echo "$out" | grep -c 'IP 10.77.0.66.[0-9]* > 10.77.0.1.80: Flags \[S\]')
ok $([ "$n" -ge 3 ] && [ "$n" -eq "$(echo "$out" | wc -l)" ]; echo $?) \
	"tcpdump -r reads the pcap file: $n SYNs from X"

# logrotate: rename both files, SIGHUP, new files under the old names.
mv "$LOG" "$LOG.1"
mv "$PCAP" "$PCAP.1"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q '"event":"reopen"' "$LOG"
ok $? "SIGHUP reopens the log file (reopen event in the new file)"
check "the rotated log keeps the ban" grep -q '"event":"ban"' "$LOG.1"
wait_for 5 sh -c "tcpdump -nr '$PCAP' 2>/dev/null | grep -q 'Flags \[S\]'"
ok $? "SIGHUP reopens the pcap file; new samples land there"
check "the daemon survived SIGHUP" kill -0 "$DAEMON_PID"
kill "$FLOOD" 2>/dev/null
wait "$FLOOD" 2>/dev/null

stop_daemon
ok $([ "$DAEMON_RC" -eq 0 ]; echo $?) "SIGTERM exits 0"
check "state files removed at exit" \
	eval "! ls /run/xdpguard-$(basename "$XDPGUARD_PIN_DIR").*.json"
out=$(xg "$V" samples 2>&1)
ok $([ $? -eq 1 ] && echo "$out" | grep -q "no daemon is running"; echo $?) \
	"samples without a daemon: one clear error"
finish
