// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Readings, rates and per-source rows for `stats` and `top`. A source's
 * rate is the difference of its counters between the two readings; one
 * that appeared in between counts from zero, and one whose counters went
 * backwards (its LRU entry was recycled) counts from zero too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bans.h"
#include "common.h"
#include "output.h"
#include "parse.h"
#include "prefixes.h"
#include "runstate.h"
#include "statsview.h"

/* The kernel's default port window; only the sketch's age depends on it. */

static const char *const slot_names[XG_CNT_DROP_BASE] = {
	[XG_CNT_PASS] = "pass",
	[XG_CNT_ALLOWED] = "allowed",
	[XG_CNT_MALFORMED] = "malformed",
	[XG_CNT_NON_IP] = "non_ip",
};

const char *xg_slot_name(int i)
{
	if (i < 0 || i >= XG_CNT__MAX)
		return NULL;
	return i < XG_CNT_DROP_BASE ? slot_names[i] :
				      xg_reason_name(i - XG_CNT_DROP_BASE);
}

static int cmp_addr(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct xg_addr));
}

/*
 * The running program's port window, which the loader keeps in meta: a
 * sketch is of the current window only if its epoch is now's under the
 * same shift (with another, every sketch would look stale: 0 ports).
 */
static __u32 port_shift(const struct xg_maps *m)
{
	struct xg_meta meta;

	if (m->meta >= 0 && !xg_meta_read(m->meta, &meta) &&
	    meta.port_win_shift)
		return (__u32)meta.port_win_shift;
	return XG_PORT_WIN_SHIFT_DEFAULT;
}

int xg_reading_take(const struct xg_maps *m, struct xg_reading *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->t = xg_mono_ns();
	err = xg_read_counters(m->global, r->c);
	if (!err)
		err = xg_read_sources(m->src, port_shift(m), &r->src, &r->nsrc);
	if (!err)
		qsort(r->src, r->nsrc, sizeof(*r->src), cmp_addr);
	return err;
}

void xg_reading_free(struct xg_reading *r)
{
	free(r->src);
	r->src = NULL;
	r->nsrc = 0;
}

int xg_rates_compute(const struct xg_reading *r0, const struct xg_reading *r1,
		     struct xg_rates *out)
{
	double dt = (double)(r1->t - r0->t) / NSEC_PER_SEC;
	__u64 dp = 0, dd = 0, db = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (dt <= 0)
		dt = 1e-9;
	out->dt = dt;
	memcpy(out->c, r1->c, sizeof(out->c));
	for (i = 0; i < XG_CNT__MAX; i++) {
		__u64 p = r1->c[i].pkts - r0->c[i].pkts;
		__u64 b = r1->c[i].bytes - r0->c[i].bytes;

		out->pps[i] = p / dt;
		out->bps[i] = b * 8 / dt;
		out->total_pkts += r1->c[i].pkts;
		out->total_bytes += r1->c[i].bytes;
		dp += p;
		db += b;
		if (i >= XG_CNT_DROP_BASE)
			dd += p;
	}
	out->total_pps = dp / dt;
	out->total_bps = db * 8 / dt;
	out->drop_pps = dd / dt;
	out->rows = calloc(r1->nsrc ? r1->nsrc : 1, sizeof(*out->rows));
	if (!out->rows)
		return -ENOMEM;
	for (i = 0; i < r1->nsrc; i++) {
		const struct xg_src_sample *s = &r1->src[i], *p;
		struct xg_src_row *row = &out->rows[i];
		__u64 pk = s->pkts, by = s->bytes;
		__u32 sy = s->syns, ic = s->icmp_echo;

		p = bsearch(&s->addr, r0->src, r0->nsrc, sizeof(*s), cmp_addr);
		if (p && p->pkts <= s->pkts) {
			pk -= p->pkts;
			by -= p->bytes;
			sy -= p->syns; /* 32-bit: wraps like the kernel's */
			ic -= p->icmp_echo;
		}
		row->s = s;
		row->pps = pk / dt;
		row->bps = by * 8 / dt;
		row->syn_ps = sy / dt;
		row->icmp_ps = ic / dt;
		row->ports = s->tcp_ports > s->udp_ports ? s->tcp_ports :
							   s->udp_ports;
	}
	out->nrows = r1->nsrc;
	return 0;
}

double xg_row_key(const struct xg_src_row *row, enum xg_src_key k)
{
	switch (k) {
	case XG_BY_PKTS:
		return row->s->pkts;
	case XG_BY_SYNS:
		return row->s->syns;
	case XG_BY_ICMP:
		return row->s->icmp_echo;
	case XG_BY_PORTS:
		return row->ports;
	case XG_BY_PPS:
		return row->pps;
	case XG_BY_SYN_PS:
		return row->syn_ps;
	case XG_BY_ICMP_PS:
		return row->icmp_ps;
	case XG_BY_BPS:
		return row->bps;
	default:
		return 0;
	}
}

static enum xg_src_key sort_key;

static int cmp_row(const void *x, const void *y)
{
	double a = xg_row_key(x, sort_key), b = xg_row_key(y, sort_key);

	if (a != b)
		return a < b ? 1 : -1;
	/* Ties by packets, then address, so the order is stable. */
	a = ((const struct xg_src_row *)x)->s->pkts;
	b = ((const struct xg_src_row *)y)->s->pkts;
	if (a != b)
		return a < b ? 1 : -1;
	return cmp_addr(((const struct xg_src_row *)x)->s,
			((const struct xg_src_row *)y)->s);
}

void xg_rates_sort(struct xg_rates *r, enum xg_src_key k)
{
	sort_key = k;
	qsort(r->rows, r->nrows, sizeof(*r->rows), cmp_row);
}

void xg_rates_free(struct xg_rates *r)
{
	free(r->rows);
	r->rows = NULL;
	r->nrows = 0;
}

void xg_src_verdict(const struct xg_maps *m, const struct xg_addr *a, __u64 now,
		    struct xg_verdict *v)
{
	struct xg_ban b;

	memset(v, 0, sizeof(*v));
	v->state = "passing";
	v->expires_in = -1;
	if (xg_allow_match(m->allow, a)) {
		v->state = "allowed";
	} else if (!bpf_map_lookup_elem(m->bans, a, &b) &&
		   xg_ban_live(&b, now)) {
		v->state = "banned";
		v->reason = b.reason;
		v->expires_in = xg_ban_expires_in(&b, now);
	}
}

static json_object *row_json(const struct xg_maps *m,
			     const struct xg_src_row *row, __u64 now)
{
	const struct xg_src_sample *s = row->s;
	json_object *o = json_object_new_object(), *ban = NULL;
	char a[XG_ADDR_STRLEN];
	struct xg_verdict v;

	xg_src_verdict(m, &s->addr, now, &v);
	json_object_object_add(
		o, "addr",
		json_object_new_string(xg_addr_str(&s->addr, a, sizeof(a))));
	json_object_object_add(o, "pkts", json_object_new_int64(s->pkts));
	json_object_object_add(o, "bytes", json_object_new_int64(s->bytes));
	json_object_object_add(o, "syns", json_object_new_int64(s->syns));
	json_object_object_add(o, "icmp_echo",
			       json_object_new_int64(s->icmp_echo));
	json_object_object_add(o, "udp", json_object_new_int64(s->udp));
	json_object_object_add(o, "tcp_ports",
			       json_object_new_int64(s->tcp_ports));
	json_object_object_add(o, "udp_ports",
			       json_object_new_int64(s->udp_ports));
	json_object_object_add(o, "pps", json_object_new_double(row->pps));
	json_object_object_add(o, "bps", json_object_new_double(row->bps));
	json_object_object_add(o, "syn_pps",
			       json_object_new_double(row->syn_ps));
	json_object_object_add(o, "icmp_pps",
			       json_object_new_double(row->icmp_ps));
	json_object_object_add(o, "state", json_object_new_string(v.state));
	if (!strcmp(v.state, "banned")) {
		ban = json_object_new_object();
		json_object_object_add(
			ban, "reason",
			json_object_new_string(xg_reason_name(v.reason)));
		json_object_object_add(
			ban, "expires_in",
			v.expires_in < 0 ? NULL :
					   json_object_new_int64(v.expires_in));
	}
	json_object_object_add(o, "ban", ban);
	return o;
}

static json_object *counter_json(const struct xg_counter *c, double pps,
				 double bps)
{
	json_object *x = json_object_new_object();

	json_object_object_add(x, "pkts", json_object_new_int64(c->pkts));
	json_object_object_add(x, "bytes", json_object_new_int64(c->bytes));
	json_object_object_add(x, "pps", json_object_new_double(pps));
	json_object_object_add(x, "bps", json_object_new_double(bps));
	return x;
}

json_object *xg_stats_json(const struct xg_maps *m, struct xg_rates *r, int top)
{
	static const char *const top_names[] = { "pkts", "syns", "icmp_echo",
						 "ports" };
	json_object *o = json_object_new_object(), *drops, *tops, *st;
	const struct xg_counter *c = r->c;
	__u64 now = xg_mono_ns();
	char ts[40];
	int i, k;

	drops = json_object_new_object();
	json_object_object_add(o, "ts",
			       json_object_new_string(xg_ts_str(
				       xg_real_ns(), ts, sizeof(ts))));
	json_object_object_add(o, "interval_s", json_object_new_double(r->dt));
	for (i = 0; i < XG_CNT__MAX; i++) {
		const char *name = xg_slot_name(i);

		if (!name)
			continue;
		if (i < XG_CNT_DROP_BASE)
			json_object_object_add(
				o, name,
				counter_json(&c[i], r->pps[i], r->bps[i]));
		else if (c[i].pkts)
			json_object_object_add(
				drops, name,
				counter_json(&c[i], r->pps[i], r->bps[i]));
	}
	json_object_object_add(o, "drop", drops);
	json_object_object_add(o, "total_pkts",
			       json_object_new_int64(r->total_pkts));
	json_object_object_add(o, "total_bytes",
			       json_object_new_int64(r->total_bytes));
	json_object_object_add(o, "pps", json_object_new_double(r->total_pps));
	json_object_object_add(o, "bps", json_object_new_double(r->total_bps));
	json_object_object_add(o, "drops_pps",
			       json_object_new_double(r->drop_pps));
	json_object_object_add(o, "tracked_sources",
			       json_object_new_int64(r->nrows));
	tops = json_object_new_object();
	for (k = XG_BY_PKTS; k <= XG_BY_PORTS; k++) {
		json_object *arr = json_object_new_array();
		size_t j;

		xg_rates_sort(r, k);
		for (j = 0; j < r->nrows && (int)j < top; j++) {
			if (!xg_row_key(&r->rows[j], k))
				break;
			json_object_array_add(arr,
					      row_json(m, &r->rows[j], now));
		}
		json_object_object_add(tops, top_names[k], arr);
	}
	json_object_object_add(o, "top", tops);
	if (xg_runstate_read("alarms.json", &st)) {
		json_object_object_add(o, "alarms", NULL);
	} else {
		json_object *al = NULL;

		json_object_object_get_ex(st, "alarms", &al);
		json_object_object_add(o, "alarms", json_object_get(al));
		json_object_put(st);
	}
	return o;
}
