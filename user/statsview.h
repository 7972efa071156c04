/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What `stats` and `top` show: two readings of the pinned maps turned into
 * totals, rates and per-source rows, and the JSON both print. Rates come
 * from the monotonic time measured between the readings, never from the
 * length of the sleep.
 */
#ifndef XG_STATSVIEW_H
#define XG_STATSVIEW_H

#include <json-c/json.h>

#include "detect.h"
#include "maps.h"

struct xg_reading {
	__u64 t; /* CLOCK_MONOTONIC */
	struct xg_counter c[XG_CNT__MAX];
	struct xg_src_sample *src; /* sorted by address */
	size_t nsrc;
};

int xg_reading_take(const struct xg_maps *m, struct xg_reading *r);
void xg_reading_free(struct xg_reading *r);

enum xg_src_key {
	XG_BY_PKTS, /* cumulative, as `stats` ranks */
	XG_BY_SYNS,
	XG_BY_ICMP,
	XG_BY_PORTS, /* distinct ports in the current port window */
	XG_BY_PPS, /* rates over the interval, as `top` ranks */
	XG_BY_SYN_PS,
	XG_BY_ICMP_PS,
	XG_BY_BPS,
	XG_BY__MAX,
};

struct xg_src_row {
	const struct xg_src_sample *s; /* in the later reading */
	double pps, bps, syn_ps, icmp_ps;
	__u32 ports; /* max of the TCP and UDP estimates */
};

struct xg_rates {
	double dt; /* seconds between the readings */
	struct xg_counter c[XG_CNT__MAX]; /* cumulative, at the later one */
	double pps[XG_CNT__MAX], bps[XG_CNT__MAX];
	__u64 total_pkts, total_bytes;
	double total_pps, total_bps, drop_pps;
	struct xg_src_row *rows;
	size_t nrows;
};

/* r0 earlier than r1; both from xg_reading_take. */
int xg_rates_compute(const struct xg_reading *r0, const struct xg_reading *r1,
		     struct xg_rates *out);
void xg_rates_sort(struct xg_rates *r, enum xg_src_key k);
/* The row's value for key k (for "rank only rows with something"). */
double xg_row_key(const struct xg_src_row *row, enum xg_src_key k);
void xg_rates_free(struct xg_rates *r);

/* What the datapath does with a source now: allow beats ban, as in XDP. */
struct xg_verdict {
	const char *state; /* "passing", "banned", "allowed" */
	__u32 reason; /* banned: enum xg_reason */
	long long expires_in; /* banned: seconds, -1 = never */
};

void xg_src_verdict(const struct xg_maps *m, const struct xg_addr *a, __u64 now,
		    struct xg_verdict *v);

/* Name of a global counter slot: "pass", "allowed", ... or a drop reason. */
const char *xg_slot_name(int i);

/* The `stats --json` object (schema in docs/json.md); reorders rt's rows. */
json_object *xg_stats_json(const struct xg_maps *m, struct xg_rates *rt,
			   int top);

#endif /* XG_STATSVIEW_H */
