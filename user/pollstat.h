/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How long the daemon's poll ticks take and whether it keeps up: each tick's
 * measured duration and the timer expirations it missed (a tick that takes
 * longer than the interval makes the timerfd count more than one). Reported
 * on SIGUSR1 and at exit, so a flood's cost on the loop can be measured.
 */
#ifndef XG_POLLSTAT_H
#define XG_POLLSTAT_H

#include <linux/types.h>

/* Durations of the last XG_POLLSTAT_RING ticks, for percentiles. */
#define XG_POLLSTAT_RING 4096

struct xg_pollstat {
	__u64 ticks; /* since the last reset */
	__u64 missed; /* timer expirations with no tick of their own */
	__u64 sum_ns, max_ns;
	__u64 warned_ns; /* last "behind" note (kept across resets) */
	__u64 ring[XG_POLLSTAT_RING];
};

struct xg_pollstat_sum {
	__u64 ticks, missed;
	double mean_ms, p50_ms, p99_ms, max_ms;
};

void xg_pollstat_reset(struct xg_pollstat *ps);
/* One tick that took dur_ns, woken by `expirations` timer expirations. */
void xg_pollstat_add(struct xg_pollstat *ps, __u64 dur_ns, __u64 expirations);
/* Summary of the ticks since the last reset (percentiles of the ring). */
void xg_pollstat_summary(const struct xg_pollstat *ps,
			 struct xg_pollstat_sum *out);
/* add(), plus a "behind" note (at most every 10 s) for a tick > poll_ms. */
void xg_pollstat_tick(struct xg_pollstat *ps, __u64 dur_ns, __u64 expirations,
		      __u32 poll_ms, __u64 now_ns);
/* A "poll" note with the summary and RSS; then resets the counts. */
void xg_pollstat_report(struct xg_pollstat *ps, __u32 poll_ms);
/* Resident set size of this process in KiB (/proc/self/statm), 0 if unknown. */
long xg_rss_kb(void);

#endif /* XG_POLLSTAT_H */
