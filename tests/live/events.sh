#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Alarms beyond single sources: host pressure (raised and cleared from a
# /proc/stat that the test writes, through XDPGUARD_PROC_STAT), the victim
# of a spoofed SYN flood, and events on syslog (a fake /dev/log in a private
# mount namespace, so the host's logging is never touched).
. "$(dirname "$0")/lib.sh"
need_root
need_tools nsenter ip curl hping3 python3 unshare mknod
ensure_bpffs

PORT=9100
HERE=$(cd "$(dirname "$0")" && pwd)
PP="python3 $HERE/promparse.py"
STATE=/run/xdpguard-$(basename "$XDPGUARD_PIN_DIR").alarms.json
scrape() { in_ns "$V" curl -sf --max-time 5 "http://127.0.0.1:$PORT/metrics" -o "$1"; }
alarms() { python3 -c "import json; d=json.load(open('$STATE')); print($1)"; }

make_lan

# A /proc/stat of two CPUs, 100 jiffies a second each: cpu0 in softirq
# while $T_DIR/hot exists, idle otherwise; cpu1 idle. At most 60 s.
touch "$T_DIR/hot"
python3 - "$T_DIR/stat" "$T_DIR/hot" <<'PY' &
import os, sys, time
path, hot = sys.argv[1], sys.argv[2]
si = idle0 = idle1 = 0
for _ in range(240):
    if os.path.exists(hot):
        si += 25
    else:
        idle0 += 25
    idle1 += 25
    with open(path + '.tmp', 'w') as f:
        f.write('cpu  0 0 0 %d 0 0 %d 0 0 0\n' % (idle0 + idle1, si))
        f.write('cpu0 0 0 0 %d 0 0 %d 0 0 0\n' % (idle0, si))
        f.write('cpu1 0 0 0 %d 0 0 0 0 0 0\n' % idle1)
    os.rename(path + '.tmp', path)
    time.sleep(0.25)
PY
T_PIDS+=($!)
wait_for 3 test -s "$T_DIR/stat"

XDPGUARD_PROC_STAT=$T_DIR/stat start_daemon "$V" eth0 --metrics "$PORT" \
	--pressure-secs 2 --spoof-syn-rate 300
ok $? "daemon started on a fake /proc/stat"

wait_for 8 grep -q '"event":"alert","kind":"host_pressure"' "$T_DIR/daemon.log"
ok $? "cpu0 at 100% softirq raises the host pressure alarm"
ev=$(grep '"kind":"host_pressure"' "$T_DIR/daemon.log" | head -1)
ok $(echo "$ev" | jq_py "d['cpu']==0 and d['value']==100 and d['threshold']==90 and 'saturated' in d['msg']" | grep -q True; echo $?) \
	"the alarm names cpu0, 100% >= 90% ($ev)"
check "cpu1 (idle) raises nothing" \
	eval "! grep -q '\"kind\":\"host_pressure\",\"cpu\":1' $T_DIR/daemon.log"
scrape "$T_DIR/m1"
ok $([ "$($PP "$T_DIR/m1" xdpguard_host_pressure_cpus)" = 1 ]; echo $?) "metric: 1 CPU saturated"
ok $([ "$($PP "$T_DIR/m1" 'xdpguard_cpu_softirq_ratio{cpu="0"}')" = 1 ]; echo $?) "metric: cpu0 softirq ratio 1"
ok $([ "$($PP "$T_DIR/m1" 'xdpguard_cpu_softirq_ratio{cpu="1"}')" = 0 ]; echo $?) "metric: cpu1 softirq ratio 0"
ok $([ "$($PP "$T_DIR/m1" xdpguard_host_pressure_alarms_total)" = 1 ]; echo $?) "metric: one pressure alarm raised"
wait_for 3 sh -c "grep -q host_pressure $STATE"
ok $([ "$(alarms "[a['cpu'] for a in d['alarms'] if a['kind']=='host_pressure']")" = "[0]" ]; echo $?) \
	"alarms.json lists cpu0's pressure"

# A spoofed SYN flood: random sources, one victim. No source to ban.
in_ns "$X" timeout 3 hping3 -q -S -p 80 --rand-source -i u500 10.77.0.1 >/dev/null 2>&1
wait_for 5 grep -q '"kind":"syn_flood_spoofed"' "$T_DIR/daemon.log"
ok $? "a spoofed SYN flood raises an alert"
ev=$(grep '"kind":"syn_flood_spoofed"' "$T_DIR/daemon.log" | head -1)
ok $(echo "$ev" | jq_py "d['event']=='alert' and d['dst']=='10.77.0.1' and 'src' not in d" | grep -q True; echo $?) \
	"the alert names the victim, no source ($ev)"
wait_for 3 sh -c "grep -q syn_flood_spoofed $STATE"
ok $([ "$(alarms "[a['dst'] for a in d['alarms'] if a['kind']=='syn_flood_spoofed']")" = "['10.77.0.1']" ]; echo $?) \
	"alarms.json lists the victim"
check "stats --json carries the victim alarm" sh -c \
	"nsenter --net=/run/netns/$V $XDPGUARD stats --json --interval 0.2 | grep -q '\"kind\":\"syn_flood_spoofed\"'"
scrape "$T_DIR/m2"
ok $([ "$($PP "$T_DIR/m2" 'xdpguard_alerts_total{kind="syn_flood_spoofed"}')" -ge 1 ]; echo $?) \
	"metric: alerts_total{kind=syn_flood_spoofed}"
ok $([ "$($PP "$T_DIR/m2" 'xdpguard_alarms_active')" -ge 2 ]; echo $?) "metric: 2 alarms active"

# Calm again: cleared after two quiet seconds.
rm -f "$T_DIR/hot"
wait_for 8 grep -q '"event":"clear","kind":"host_pressure"' "$T_DIR/daemon.log"
ok $? "pressure clears when cpu0 calms down"
scrape "$T_DIR/m3"
ok $([ "$($PP "$T_DIR/m3" xdpguard_host_pressure_cpus)" = 0 ]; echo $?) "metric: no CPU saturated"
wait_for 3 sh -c "! grep -q host_pressure $STATE"
ok $? "the pressure alarm left alarms.json"
stop_daemon

# Syslog: /dev/log is a socket of ours, in a mount namespace of the daemon's.
mkdir -p "$T_DIR/dev"
unshare -m --propagation private bash -c '
	d=$1 out=$2 ns=$3 here=$4 xdpguard=$5
	mount -t tmpfs -o mode=755 tmpfs "$d" || exit 1
	mknod -m 666 "$d/null" c 1 3
	mknod -m 666 "$d/urandom" c 1 9
	timeout 60 python3 "$here/fakesyslog.py" "$d/log" "$out" 60 &
	echo $! >"$out.pid"
	for i in $(seq 50); do [ -S "$d/log" ] && break; sleep 0.1; done
	mount --bind "$d" /dev || exit 1
	exec nsenter --net=/run/netns/"$ns" "$xdpguard" run -i eth0 --json --syslog
' _ "$T_DIR/dev" "$T_DIR/syslog" "$V" "$HERE" "$XDPGUARD" >"$T_DIR/daemon.log" 2>&1 &
DAEMON_PID=$!
T_PIDS+=("$DAEMON_PID")
wait_for 10 grep -q '"event":"start"' "$T_DIR/daemon.log"
ok $? "daemon with --syslog started"
[ -s "$T_DIR/syslog.pid" ] && T_PIDS+=("$(cat "$T_DIR/syslog.pid")")
wait_for 3 grep -q 'xdpguard\[[0-9]*\]: start' "$T_DIR/syslog"
ok $? "start reaches syslog"
check "daemon facility, info priority (<30>)" grep -q '^<30>.*xdpguard\[[0-9]*\]: start' "$T_DIR/syslog"
in_ns "$X" timeout 3 hping3 -q -S -p 22 -i u2000 10.77.0.1 >/dev/null 2>&1
wait_for 5 grep -q 'ban  *syn_flood  *src=10.77.0.66' "$T_DIR/syslog"
ok $? "the ban reaches syslog"
check "bans are warnings (<28>)" grep -q '^<28>.*ban  *syn_flood  *src=10.77.0.66 .*ttl=10m' "$T_DIR/syslog"
check "stdout still has the JSON ban" grep -q '"event":"ban"' "$T_DIR/daemon.log"
stop_daemon
ok $([ "$DAEMON_RC" -eq 0 ]; echo $?) "SIGTERM exits 0"
check "stop reaches syslog" grep -q 'xdpguard\[[0-9]*\]: stop' "$T_DIR/syslog"
finish
