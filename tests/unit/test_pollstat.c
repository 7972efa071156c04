// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Poll-tick statistics: percentiles, missed expirations, ring wrap, RSS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pollstat.h"

#define MS 1000000ULL

static struct xg_pollstat ps;

static void test_percentiles(void **state)
{
	struct xg_pollstat_sum s;
	__u64 i;

	xg_pollstat_reset(&ps);
	xg_pollstat_summary(&ps, &s);
	assert_int_equal(s.ticks, 0);
	assert_true(s.max_ms == 0 && s.p99_ms == 0);
	/* 100 ticks of 1..100 ms, shuffled by a stride coprime to 100. */
	for (i = 0; i < 100; i++)
		xg_pollstat_add(&ps, ((i * 37) % 100 + 1) * MS, 1);
	xg_pollstat_summary(&ps, &s);
	assert_int_equal(s.ticks, 100);
	assert_int_equal(s.missed, 0);
	assert_true(s.p50_ms == 50.0);
	assert_true(s.p99_ms == 99.0);
	assert_true(s.max_ms == 100.0);
	assert_true(s.mean_ms == 50.5);
}

static void test_missed_and_wrap(void **state)
{
	struct xg_pollstat_sum s;
	__u64 i;

	xg_pollstat_reset(&ps);
	xg_pollstat_add(&ps, 900 * MS, 5); /* woke 4 intervals late */
	xg_pollstat_add(&ps, 1 * MS, 0); /* a read that raced: no miss */
	for (i = 0; i < 2 * XG_POLLSTAT_RING; i++)
		xg_pollstat_add(&ps, 2 * MS, 1);
	xg_pollstat_summary(&ps, &s);
	assert_int_equal(s.missed, 4);
	assert_int_equal(s.ticks, 2 * XG_POLLSTAT_RING + 2);
	/* The ring holds only recent ticks; max covers all of them. */
	assert_true(s.p99_ms == 2.0);
	assert_true(s.max_ms == 900.0);
}

static void test_rss(void **state)
{
	long rss = xg_rss_kb();

	assert_true(rss > 100 && rss < 10L * 1024 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_missed_and_wrap),
		cmocka_unit_test(test_rss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
