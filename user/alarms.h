/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The daemon's active alarms: what the detector reported recently (alerts,
 * bans, suppressed detections, spoofed-flood victims) and which CPUs are
 * saturated. The detector reports a condition once per realert period while
 * it lasts, so a detection stays active until a hold time (realert plus a
 * margin) passes without a new report. Pure: events and a clock in, a table
 * and its JSON out.
 */
#ifndef XG_ALARMS_H
#define XG_ALARMS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "detect.h"

#define XG_ALARMS_MAX 256
#define XG_KIND_HOST_PRESSURE "host_pressure"

struct xg_alarm {
	const char *kind; /* xg_kind_name() or XG_KIND_HOST_PRESSURE */
	const char *action; /* "alert", "ban", "suppressed" */
	bool has_src, has_dst;
	struct xg_addr src, dst;
	int cpu; /* host_pressure: the CPU; else -1 */
	__u64 value, threshold;
	__u64 first_ns, last_ns; /* CLOCK_MONOTONIC */
	__u32 count; /* reports merged into this alarm */
};

struct xg_alarms {
	struct xg_alarm a[XG_ALARMS_MAX];
	size_t n;
	__u64 hold_ns;
	__u64 evicted; /* alarms pushed out by newer ones when full */
};

void xg_alarms_init(struct xg_alarms *t, __u64 hold_ns);
/* A detector event (alert, ban, suppressed; unbans are ignored). */
void xg_alarms_event(struct xg_alarms *t, const struct xg_event *ev);
/* A CPU's saturation raised (with its softirq share, percent) or cleared. */
void xg_alarms_pressure(struct xg_alarms *t, int cpu, bool raised, __u32 pct,
			__u32 threshold, __u64 now);
/* Drops detections not reported again within hold_ns. */
void xg_alarms_expire(struct xg_alarms *t, __u64 now);
/* Newest first: [{"kind", "action", "src", "dst", "cpu", ...}] */
json_object *xg_alarms_json(const struct xg_alarms *t, __u64 now);

#endif /* XG_ALARMS_H */
