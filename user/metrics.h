/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus text exposition (format 0.0.4) of xdpguard's figures. The
 * snapshot is plain data; rendering is pure, so the text is unit-tested
 * byte for byte and `promtool check metrics` checks a live scrape.
 */
#ifndef XG_METRICS_H
#define XG_METRICS_H

#include <stdio.h>
#include "detect.h"
#include "xdpguard.h"

#define XG_HIST_MAX 16

/* A Prometheus histogram: cumulative buckets rendered with le labels. */
struct xg_hist {
	const double *bounds; /* upper bounds, ascending; +Inf is implicit */
	int nbounds;
	__u64 counts
		[XG_HIST_MAX]; /* observations <= bounds[i] (not cumulative) */
	__u64 count;
	double sum;
};

void xg_hist_init(struct xg_hist *h, const double *bounds, int n);
void xg_hist_observe(struct xg_hist *h, double v);

enum xg_map_id {
	XG_M_BANS,
	XG_M_ALLOW,
	XG_M_SRC,
	XG_M_DST,
	XG_M__MAX,
};

#define XG_METRICS_CPUS 64 /* per-CPU series beyond this are left out */

struct xg_metrics {
	/* From the kernel at scrape time. */
	struct xg_counter c[XG_CNT__MAX];
	__u64 bans_active[XG_REASON__MAX];
	__u64 map_entries[XG_M__MAX], map_max[XG_M__MAX];
	__u64 admit_refused, admit_heavy; /* bpf/admit.h, summed over CPUs */
	/* From the daemon, as of its last poll. */
	__u64 events[4][XG_KIND__MAX]; /* [enum xg_event_type][kind] */
	__u64 unbans;
	struct xg_hist poll, ttb;
	__u64 alarms_active;
	__u64 samples, samples_capped; /* kept, thrown over the rate cap */
	__u64 log_errors;
	double start_time; /* seconds since the epoch */
	/* Host pressure. */
	int ncpu;
	double softirq[XG_METRICS_CPUS],
		busy[XG_METRICS_CPUS]; /* <0: unknown */
	__u32 pressure_cpus; /* saturated now */
	__u64 pressure_total; /* alarms raised */
};

/* Zeroes m and sets up the histograms' buckets. */
void xg_metrics_init(struct xg_metrics *m);
/* Writes the exposition text; returns 0 or -errno of the stream. */
int xg_metrics_render(const struct xg_metrics *m, FILE *f);
/* Escapes a label value (\\, \", \n) into buf. */
const char *xg_metrics_escape(const char *s, char *buf, size_t len);

#endif /* XG_METRICS_H */
