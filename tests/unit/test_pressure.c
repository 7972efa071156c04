// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests of host pressure (user/pressure.c): /proc/stat text as the kernel
 * writes it, per-CPU shares between two readings, and when the saturation
 * alarm rises and clears.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pressure.h"

/* A real /proc/stat of a 2-CPU machine (intr line shortened). */
static const char stat_a[] =
	"cpu  39785 0 12484 255158 1217 0 666 88 0 0\n"
	"cpu0 13587 0 4384 136320 65 0 253 43 0 0\n"
	"cpu1 26197 0 8100 118837 1151 0 413 44 0 0\n"
	"intr 593332 0 0 0 0 0 0 0 0\n"
	"ctxt 1139612\n"
	"btime 1700000000\n"
	"processes 25011\n"
	"procs_running 2\n"
	"procs_blocked 0\n"
	"softirq 411240 0 95342 1 3517 0 0 38 155021 0 157321\n";

static void test_parse(void **state)
{
	struct xg_cpustat st;

	assert_int_equal(xg_procstat_parse(stat_a, &st), 0);
	assert_int_equal(st.ncpu, 2);
	/* user+nice+system+idle+iowait+irq+softirq+steal; guest excluded */
	assert_int_equal(st.all.total,
			 39785 + 0 + 12484 + 255158 + 1217 + 0 + 666 + 88);
	assert_int_equal(st.all.idle, 255158 + 1217);
	assert_int_equal(st.all.softirq, 666);
	assert_true(st.cpu[0].present && st.cpu[1].present);
	assert_int_equal(st.cpu[1].softirq, 413);
	assert_int_equal(st.cpu[0].idle, 136320 + 65);
	xg_cpustat_free(&st);
}

static void test_parse_old_kernel_and_gaps(void **state)
{
	/* Four fields only (2.4-era), and CPU 1 offline: cpu0 and cpu2. */
	static const char text[] = "cpu 10 0 10 80\n"
				   "cpu0 5 0 5 40\n"
				   "cpu2 5 0 5 40\n";
	struct xg_cpustat st;

	assert_int_equal(xg_procstat_parse(text, &st), 0);
	assert_int_equal(st.ncpu, 3);
	assert_true(st.cpu[0].present);
	assert_false(st.cpu[1].present);
	assert_true(st.cpu[2].present);
	assert_int_equal(st.cpu[2].total, 50);
	assert_int_equal(st.cpu[2].softirq, 0);
	xg_cpustat_free(&st);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", /* no cpu line */
		"intr 1 2 3\n",
		"cpu 1 2 3\n", /* three fields */
		"cpu 1 2 3 4\ncpu0 x 2 3 4\n",
		"cpu 1 2 3 4\ncpu0: 1 2 3 4\n",
		"cpu 1 2 3 4\ncpu99999999 1 2 3 4\n",
	};
	struct xg_cpustat st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(xg_procstat_parse(bad[i], &st), -EINVAL);
		assert_null(st.cpu);
	}
	assert_int_equal(xg_procstat_read("/nonexistent/stat", &st), -ENOENT);
}

/* One reading: per CPU (softirq, idle, other) jiffies, cumulative. */
static char *mk(char *buf, size_t len, int ncpu, const unsigned *si,
		const unsigned *idle, const unsigned *other)
{
	unsigned a_si = 0, a_idle = 0, a_other = 0;
	int i, n;

	for (i = 0; i < ncpu; i++) {
		a_si += si[i];
		a_idle += idle[i];
		a_other += other[i];
	}
	n = snprintf(buf, len, "cpu  %u 0 0 %u 0 0 %u 0 0 0\n", a_other, a_idle,
		     a_si);
	for (i = 0; i < ncpu; i++)
		n += snprintf(buf + n, len - n,
			      "cpu%d %u 0 0 %u 0 0 %u 0 0 0\n", i, other[i],
			      idle[i], si[i]);
	return buf;
}

static void test_share(void **state)
{
	unsigned si0[] = { 100, 100 }, id0[] = { 1000, 1000 },
		 ot0[] = { 10, 10 };
	/* +100 jiffies each: cpu0 95 softirq, 5 idle; cpu1 10 si, 50 idle */
	unsigned si1[] = { 195, 110 }, id1[] = { 1005, 1050 },
		 ot1[] = { 10, 50 };
	struct xg_cpustat a, b;
	struct xg_cpu_share s;
	char t[512];

	assert_int_equal(
		xg_procstat_parse(mk(t, sizeof(t), 2, si0, id0, ot0), &a), 0);
	assert_int_equal(
		xg_procstat_parse(mk(t, sizeof(t), 2, si1, id1, ot1), &b), 0);
	s = xg_cpu_share(&a, &b, 0);
	assert_true(s.softirq > 0.949 && s.softirq < 0.951);
	assert_true(s.busy > 0.949 && s.busy < 0.951);
	s = xg_cpu_share(&a, &b, 1);
	assert_true(s.softirq > 0.099 && s.softirq < 0.101);
	assert_true(s.busy > 0.499 && s.busy < 0.501);
	s = xg_cpu_share(&a, &b, -1);
	assert_true(s.softirq > 0.524 && s.softirq < 0.526);
	/* No such CPU, or no time passed: unknown. */
	assert_true(xg_cpu_share(&a, &b, 5).softirq < 0);
	assert_true(xg_cpu_share(&a, &a, 0).softirq < 0);
	/* Counters going back (CPU hot-plugged): unknown, not negative. */
	assert_true(xg_cpu_share(&b, &a, 0).softirq < 0);
	xg_cpustat_free(&a);
	xg_cpustat_free(&b);
}

/* Feeds one interval of 100 jiffies per CPU with these softirq shares. */
struct feed {
	unsigned si[2], idle[2], other[2];
};

static int step(struct xg_pressure *p, struct feed *f, unsigned pct0,
		unsigned pct1, struct xg_pressure_change *ch)
{
	unsigned pct[2] = { pct0, pct1 };
	struct xg_cpustat st;
	char t[512];
	int i;

	for (i = 0; i < 2; i++) {
		f->si[i] += pct[i];
		f->idle[i] += 100 - pct[i];
	}
	assert_int_equal(
		xg_procstat_parse(mk(t, sizeof(t), 2, f->si, f->idle, f->other),
				  &st),
		0);
	return xg_pressure_update(p, &st, ch, 4);
}

static void test_alarm(void **state)
{
	struct xg_pressure_cfg cfg = { .pct = 90, .samples = 3 };
	struct xg_pressure_change ch[4];
	struct xg_pressure p;
	struct feed f = {};
	int i;

	xg_pressure_init(&p, &cfg);
	assert_int_equal(step(&p, &f, 0, 0, ch), 0); /* primes */
	/* Two seconds at 95%: not yet. */
	assert_int_equal(step(&p, &f, 95, 10, ch), 0);
	assert_int_equal(step(&p, &f, 95, 10, ch), 0);
	assert_int_equal(p.nalarm, 0);
	/* A dip resets the count. */
	assert_int_equal(step(&p, &f, 50, 10, ch), 0);
	assert_int_equal(step(&p, &f, 95, 10, ch), 0);
	assert_int_equal(step(&p, &f, 90, 10, ch), 0); /* >= pct counts */
	assert_int_equal(step(&p, &f, 99, 10, ch), 1);
	assert_int_equal(ch[0].cpu, 0);
	assert_true(ch[0].raised);
	assert_true(ch[0].softirq > 0.98);
	assert_int_equal(p.nalarm, 1);
	assert_int_equal(p.raised_total, 1);
	assert_true(p.cpu[0].share.softirq > 0.98);
	assert_true(p.cpu[1].share.softirq < 0.11);
	/* Staying high raises nothing more. */
	for (i = 0; i < 5; i++)
		assert_int_equal(step(&p, &f, 100, 10, ch), 0);
	/* Between pct - 10 and pct: neither raise nor clear (hysteresis). */
	for (i = 0; i < 5; i++)
		assert_int_equal(step(&p, &f, 85, 10, ch), 0);
	assert_int_equal(p.nalarm, 1);
	/* Three seconds below 80%: cleared. */
	assert_int_equal(step(&p, &f, 20, 10, ch), 0);
	assert_int_equal(step(&p, &f, 20, 10, ch), 0);
	assert_int_equal(step(&p, &f, 20, 10, ch), 1);
	assert_false(ch[0].raised);
	assert_int_equal(p.nalarm, 0);
	assert_int_equal(p.raised_total, 1);
	xg_pressure_free(&p);
}

static void test_alarm_both_cpus(void **state)
{
	struct xg_pressure_cfg cfg = { .pct = 90, .samples = 1 };
	struct xg_pressure_change ch[4];
	struct xg_pressure p;
	struct feed f = {};

	xg_pressure_init(&p, &cfg);
	step(&p, &f, 0, 0, ch);
	assert_int_equal(step(&p, &f, 96, 97, ch), 2);
	assert_int_equal(ch[0].cpu, 0);
	assert_int_equal(ch[1].cpu, 1);
	assert_int_equal(p.nalarm, 2);
	assert_true(p.all.softirq > 0.96);
	xg_pressure_free(&p);
}

/* A CPU with no ticks in an interval (just onlined) is no evidence. */
static void test_no_ticks(void **state)
{
	struct xg_pressure_cfg cfg = { .pct = 90, .samples = 2 };
	struct xg_pressure_change ch[4];
	struct xg_pressure p;
	struct xg_cpustat st;
	struct feed f = {};
	char t[512];

	xg_pressure_init(&p, &cfg);
	step(&p, &f, 0, 0, ch);
	step(&p, &f, 95, 0, ch);
	/* The same reading again: no time passed anywhere. */
	assert_int_equal(
		xg_procstat_parse(mk(t, sizeof(t), 2, f.si, f.idle, f.other),
				  &st),
		0);
	assert_int_equal(xg_pressure_update(&p, &st, ch, 4), 0);
	assert_true(p.cpu[0].share.softirq < 0);
	/* The count survived the gap: one more high second raises it. */
	assert_int_equal(step(&p, &f, 95, 0, ch), 1);
	xg_pressure_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_old_kernel_and_gaps),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_alarm),
		cmocka_unit_test(test_alarm_both_cpus),
		cmocka_unit_test(test_no_ticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
