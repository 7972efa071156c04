// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Poll-tick durations, missed timer expirations and RSS of the daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "pollstat.h"

void xg_pollstat_reset(struct xg_pollstat *ps)
{
	__u64 warned = ps->warned_ns;

	memset(ps, 0, sizeof(*ps));
	ps->warned_ns = warned;
}

void xg_pollstat_add(struct xg_pollstat *ps, __u64 dur_ns, __u64 expirations)
{
	ps->ring[ps->ticks % XG_POLLSTAT_RING] = dur_ns;
	ps->ticks++;
	if (expirations > 1)
		ps->missed += expirations - 1;
	ps->sum_ns += dur_ns;
	if (dur_ns > ps->max_ns)
		ps->max_ns = dur_ns;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values. */
static double pct(const __u64 *v, size_t n, unsigned int p)
{
	size_t rank = (n * p + 99) / 100;

	return n ? v[rank ? rank - 1 : 0] / 1e6 : 0;
}

void xg_pollstat_summary(const struct xg_pollstat *ps,
			 struct xg_pollstat_sum *out)
{
	size_t n = ps->ticks < XG_POLLSTAT_RING ? ps->ticks : XG_POLLSTAT_RING;
	/* Static: 32 KiB is too much for the daemon's stack on a whim. */
	static __u64 v[XG_POLLSTAT_RING];

	memset(out, 0, sizeof(*out));
	out->ticks = ps->ticks;
	out->missed = ps->missed;
	if (!n)
		return;
	memcpy(v, ps->ring, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u64);
	out->mean_ms = ps->sum_ns / 1e6 / ps->ticks;
	out->p50_ms = pct(v, n, 50);
	out->p99_ms = pct(v, n, 99);
	out->max_ms = ps->max_ns / 1e6;
}

long xg_rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

void xg_pollstat_report(struct xg_pollstat *ps, __u32 poll_ms)
{
	json_object *o = json_object_new_object();
	struct xg_pollstat_sum s;
	long rss = xg_rss_kb();

	xg_pollstat_summary(ps, &s);
	json_object_object_add(o, "ticks", json_object_new_int64(s.ticks));
	json_object_object_add(o, "missed", json_object_new_int64(s.missed));
	json_object_object_add(o, "mean_ms", json_object_new_double(s.mean_ms));
	json_object_object_add(o, "p50_ms", json_object_new_double(s.p50_ms));
	json_object_object_add(o, "p99_ms", json_object_new_double(s.p99_ms));
	json_object_object_add(o, "max_ms", json_object_new_double(s.max_ms));
	json_object_object_add(o, "poll_ms", json_object_new_int64(poll_ms));
	json_object_object_add(o, "rss_kb", json_object_new_int64(rss));
	xg_output_note(
		"poll", o,
		"%llu ticks, %llu missed; tick p50 %.1f ms, p99 %.1f ms, max %.1f ms (interval %u ms); rss %ld KiB",
		(unsigned long long)s.ticks, (unsigned long long)s.missed,
		s.p50_ms, s.p99_ms, s.max_ms, poll_ms, rss);
	xg_pollstat_reset(ps);
}

void xg_pollstat_tick(struct xg_pollstat *ps, __u64 dur_ns, __u64 expirations,
		      __u32 poll_ms, __u64 now_ns)
{
	xg_pollstat_add(ps, dur_ns, expirations);
	/* Once per 10 s at most: a loop that is behind must not also flood the log. */
	if (dur_ns <= poll_ms * 1000000ULL ||
	    now_ns - ps->warned_ns < 10 * 1000000000ULL)
		return;
	ps->warned_ns = now_ns;
	xg_output_note(
		"behind", NULL,
		"poll loop behind: a tick took %.1f ms, longer than the %u ms interval",
		dur_ns / 1e6, poll_ms);
}
