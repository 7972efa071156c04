// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The detection engine: turns cumulative per-source and per-destination
 * counters, read every poll, into sliding-window rates, judges them against
 * the thresholds and decides alerts and escalating bans.
 *
 * Sliding windows (detwin.c) of 16 slots each: a count within a window W
 * never includes a delta older than W, and it is exact whenever polls are at
 * least W/15 apart. Memory per source is fixed: three rings of 16 slots
 * (~470 bytes), allocated only while the source is active, plus ~190 bytes
 * while it is in the kernel map and ~50 for the order hint (two arrays of 24
 * bytes a source, see struct hint). The tables and the hint: dettab.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "dettab.h"
#include "detwin.h"

/* A threshold reached: one candidate detection. */
struct finding {
	enum xg_kind kind;
	__u64 value, threshold, window_ns;
	const char *proto;
};

static const struct {
	const char *name;
	__u32 reason;
} kinds[XG_KIND__MAX] = {
	[XG_KIND_PORT_SCAN] = { "port_scan", XG_REASON_PORT_SCAN },
	[XG_KIND_SYN_FLOOD] = { "syn_flood", XG_REASON_SYN_FLOOD },
	/* Nobody to ban. */
	[XG_KIND_SYN_FLOOD_SPOOFED] = { "syn_flood_spoofed", XG_REASON_NONE },
	[XG_KIND_ICMP_FLOOD] = { "icmp_flood", XG_REASON_ICMP_FLOOD },
	[XG_KIND_CONN_FLOOD] = { "conn_flood", XG_REASON_CONN_FLOOD },
};

const char *xg_kind_name(enum xg_kind k)
{
	return (unsigned int)k < XG_KIND__MAX ? kinds[k].name : "unknown";
}

const char *xg_reason_kind(__u32 reason)
{
	int k;

	for (k = 0; reason && k < XG_KIND__MAX; k++)
		if (kinds[k].reason == reason)
			return kinds[k].name;
	return NULL;
}

const char *xg_event_type_name(enum xg_event_type t)
{
	static const char *const names[] = {
		[XG_EV_ALERT] = "alert",
		[XG_EV_BAN] = "ban",
		[XG_EV_UNBAN] = "unban",
		[XG_EV_SUPPRESSED] = "suppressed",
	};

	return (unsigned int)t < sizeof(names) / sizeof(names[0]) ? names[t] :
								    "unknown";
}

void xg_detect_defaults(struct xg_detect_cfg *c)
{
	const __u64 s = 1000000000ULL;

	memset(c, 0, sizeof(*c));
	c->scan_ports = 24;
	c->syn_rate = 100;
	c->syn_window_ns = 1 * s;
	c->syn_ratio = 0.4;
	c->icmp_rate = 100;
	c->icmp_window_ns = 1 * s;
	c->conn_rate = 150;
	c->conn_window_ns = 10 * s;
	c->conn_max = 100;
	c->spoof_syn_rate = 1000;
	c->ban_ttl_ns = 600 * s;
	c->ban_ttl_max_ns = 86400 * s;
	c->repeat_window_ns = 86400 * s;
	c->realert_ns = 10 * s;
}

/*
 * Takes in one source's cumulative counters, turns them into a delta and
 * adds it to its windows.
 */
static void src_update(struct xg_detector *d, struct src *s,
		       const struct xg_src_sample *x, __u64 now)
{
	__u32 dsyn, dicmp;
	struct xg_win *w;
	__u64 dpkts;
	bool moved;

	if (s->primed && x->first_ns == s->first_ns && x->pkts >= s->pkts) {
		/* The 32-bit counters wrap: only their u32 difference counts. */
		dpkts = x->pkts - s->pkts;
		dsyn = x->syns - s->syns;
		dicmp = x->icmp_echo - s->icmp;
	} else if (s->primed || d->polled || x->first_ns + d->min_win > now) {
		/*
		 * An entry created again (after eviction or deletion), or one
		 * we do not know: sources are forgotten only once gone from the
		 * map, so it is new since the previous poll. Either way it
		 * counts from 0. On the first poll, though, counters may be
		 * days old (a restarted daemon): only an entry younger than
		 * every window is news then.
		 */
		dpkts = x->pkts;
		dsyn = x->syns;
		dicmp = x->icmp_echo;
	} else {
		dpkts = dsyn = dicmp = 0;
	}
	s->primed = true;
	s->pkts = x->pkts;
	s->first_ns = x->first_ns;
	s->syns = x->syns;
	s->icmp = x->icmp_echo;
	s->tcp_ports = x->tcp_ports;
	s->udp_ports = x->udp_ports;
	moved = dpkts || dsyn || dicmp;
	/* Of this poll (touch() clears it): a duplicate may not have moved. */
	s->active |= moved;
	if (s->in_gen != d->gen)
		d->nseen++;
	s->in_gen = d->gen;

	/* Lifted: what it did before its ban was paid for. */
	if (s->ban_until && now >= s->ban_until) {
		s->ban_until = 0;
		free(s->win);
		s->win = NULL;
	}
	if (!moved) {
		/*
		 * Idle past the longest window: its windows are all zero.
		 * Here, where s is in cache, not in a walk of the table.
		 */
		if (s->win && now - s->last_active_ns >= d->max_win) {
			free(s->win);
			s->win = NULL;
		}
		return;
	}
	s->last_active_ns = now;
	if (!s->win)
		s->win = calloc(1, sizeof(*s->win));
	if (!s->win) {
		s->syn_w = s->pkts_w = s->icmp_w = s->conn_w = 0;
		return;
	}
	w = s->win;
	xg_win_add(w, &d->at, dsyn, xg_sat32(dpkts), dicmp);
	s->syn_w = xg_sat32(xg_ring_sum(&w->syn_r, w->syn, &d->at.syn));
	s->pkts_w = xg_sat32(xg_ring_sum(&w->syn_r, w->pkts, &d->at.syn));
	s->icmp_w = xg_sat32(xg_ring_sum(&w->icmp_r, w->icmp, &d->at.icmp));
	s->conn_w = xg_sat32(xg_ring_sum(&w->conn_r, w->conn, &d->at.conn));
}

static void found(struct finding *f, int *n, enum xg_kind kind, __u64 value,
		  __u64 threshold, __u64 window_ns, const char *proto)
{
	f[(*n)++] = (struct finding){ .kind = kind,
				      .value = value,
				      .threshold = threshold,
				      .window_ns = window_ns,
				      .proto = proto };
}

/* Collects the thresholds s reached, in priority order. */
static int findings(const struct xg_detector *d, const struct src *s,
		    __u64 syn_w, __u64 now, struct finding *f)
{
	const struct xg_detect_cfg *c = &d->cfg;
	__u64 pkts_w = 0, icmp_w = 0, conn_w = 0;
	bool low_share = false, syn_flood;
	int n = 0;

	if (s->active) { /* see src_judge() */
		pkts_w = s->pkts_w;
		icmp_w = s->icmp_w;
		conn_w = s->conn_w;
		/* SYNs are packets too; a counter lagging SYNs is all SYN. */
		if (pkts_w < syn_w)
			pkts_w = syn_w;
		low_share = syn_w && (double)syn_w < c->syn_ratio * pkts_w;
	}

	/*
	 * An idle source's sketch may be of a window long gone. Active at the
	 * previous poll is enough, though: the XDP program bans a scanner the
	 * moment its sketch trips, and a read that raced that packet may have
	 * got its count and not yet its port; nothing follows it to count.
	 */
	if ((s->active ||
	     (d->polled && s->last_active_ns == d->last_poll_ns)) &&
	    (s->tcp_ports >= c->scan_ports || s->udp_ports >= c->scan_ports)) {
		bool tcp = s->tcp_ports >= s->udp_ports;

		found(f, &n, XG_KIND_PORT_SCAN,
		      tcp ? s->tcp_ports : s->udp_ports, c->scan_ports, 0,
		      tcp ? "tcp" : "udp");
	}
	syn_flood = syn_w >= c->syn_rate && !low_share;
	if (syn_flood)
		found(f, &n, XG_KIND_SYN_FLOOD, syn_w, c->syn_rate,
		      c->syn_window_ns, NULL);
	if (icmp_w >= c->icmp_rate)
		found(f, &n, XG_KIND_ICMP_FLOOD, icmp_w, c->icmp_rate,
		      c->icmp_window_ns, NULL);
	/* A SYN flood's SYNs are no connections: not a conn_flood as well. */
	if (syn_w >= c->syn_rate && low_share)
		found(f, &n, XG_KIND_CONN_FLOOD, syn_w, c->syn_rate,
		      c->syn_window_ns, NULL);
	else if (conn_w >= c->conn_rate && !syn_flood)
		found(f, &n, XG_KIND_CONN_FLOOD, conn_w, c->conn_rate,
		      c->conn_window_ns, NULL);
	else if (c->conn_max && s->est >= c->conn_max)
		found(f, &n, XG_KIND_CONN_FLOOD, s->est, c->conn_max, 0, NULL);
	return n;
}

/* ban_ttl * 2^(repeat - 1), capped, without overflowing on the way. */
static __u64 ban_ttl(const struct xg_detect_cfg *c, __u32 repeat)
{
	__u64 ttl = c->ban_ttl_ns;

	while (--repeat && ttl < c->ban_ttl_max_ns)
		ttl = ttl > c->ban_ttl_max_ns / 2 ? c->ban_ttl_max_ns : ttl * 2;
	return ttl;
}

/*
 * Reports a finding for h's address (alert, then suppressed if allowlisted)
 * and, unless this is a dry run, decides its ban: the TTL doubles for a
 * repeat offender. s, the source's state if it has any, is then banned.
 */
static void decide(struct xg_detector *d, struct hist *h, struct src *s,
		   const struct finding *f, __u64 now, xg_allowed_fn allowed,
		   xg_emit_fn emit, void *ctx)
{
	const struct xg_detect_cfg *c = &d->cfg;
	struct xg_event ev = {
		.type = XG_EV_ALERT,
		.kind = f->kind,
		.src = h->addr,
		.has_src = true,
		.value = f->value,
		.threshold = f->threshold,
		.window_ns = f->window_ns,
		.proto = f->proto,
		.reason = kinds[f->kind].reason,
		.ts_ns = now,
	};

	emit(&ev, ctx);
	h->alerted[ev.kind] = now;
	h->alerted_mask |= BIT(ev.kind);
	if (allowed && allowed(&h->addr, ctx)) {
		ev.type = XG_EV_SUPPRESSED;
		emit(&ev, ctx);
		return;
	}
	if (c->dry_run)
		return;

	/*
	 * Counted from the end of the previous ban, not its start: measured
	 * from the start, a 24 h repeat window could never see past a 24 h
	 * ban, and the most persistent offender would drop back to 10 min.
	 */
	if (h->repeat &&
	    (now < h->ban_end_ns || now - h->ban_end_ns <= c->repeat_window_ns))
		h->repeat++;
	else
		h->repeat = 1;
	ev.type = XG_EV_BAN;
	ev.repeat = h->repeat;
	ev.ttl_ns = ban_ttl(c, h->repeat);
	h->ban_end_ns = now + ev.ttl_ns;
	h->ban_reason = ev.reason;
	h->ban_open = true;
	/* The ban's TTL, not realert, keeps it quiet from here on. */
	h->alerted_mask &= ~BIT(ev.kind);
	if (s)
		s->ban_until = h->ban_end_ns;
	emit(&ev, ctx);
}

/*
 * Judges one source: at most one detection per poll, the first kind in
 * priority order that is not already reported within realert_ns (so a
 * scanning SYN flooder in dry-run shows both kinds, each once).
 */
static void src_judge(struct xg_detector *d, struct src *s, __u64 now,
		      __u64 gap, xg_allowed_fn allowed, xg_emit_fn emit,
		      void *ctx)
{
	const struct xg_detect_cfg *c = &d->cfg;
	struct finding f[XG_KIND__MAX];
	struct hist *h;
	__u64 syn_w = 0;
	int n, i;

	/*
	 * Idle since the previous poll, its windows can only have lost
	 * deltas: they were judged with them when they came, and the
	 * hot_until set then covers them. So only an active source's window
	 * sums are read, and src_update() took them while the window was in
	 * cache: judging reads no window.
	 */
	if (s->active)
		syn_w = s->syn_w;
	/*
	 * A source at syn_rate explains a destination's SYN count, so no
	 * spoofed alarm while its SYNs can still be in that window. One poll
	 * more, because SYNs counted between our read and its ban landing
	 * reach the destination's next delta but no longer the source's.
	 */
	if (syn_w >= c->syn_rate)
		d->hot_until = max_u64(d->hot_until,
				       now + c->syn_window_ns +
					       min_u64(gap, c->syn_window_ns));
	if (s->ban_until && now < s->ban_until)
		return;

	n = findings(d, s, syn_w, now, f);
	if (!n)
		return;
	TBL_GET(d->hist, &s->addr, h);
	if (!h)
		return;
	/* Banned: the kernel drops it, and what trickled in is no news. */
	if (now < h->ban_end_ns)
		return;
	for (i = 0; i < n && quiet(d, h, f[i].kind, now); i++)
		;
	if (i < n)
		decide(d, h, s, &f[i], now, allowed, emit, ctx);
}

static void dst_update(struct xg_detector *d, const struct xg_dst_sample *x,
		       __u64 now, xg_emit_fn emit, void *ctx)
{
	const struct xg_detect_cfg *c = &d->cfg;
	__u32 *vals[1];
	struct xg_event ev;
	__u64 delta, w;
	struct dst *t;
	unsigned int s;

	TBL_GET(d->dsts, &x->addr, t);
	if (!t)
		return;
	if (!t->in_gen) /* new: as for sources, only after the first poll */
		delta = d->polled ? x->syns : 0;
	else
		delta = x->syns >= t->syns ? x->syns - t->syns : x->syns;
	t->syns = x->syns;
	t->in_gen = d->gen;
	if (delta) {
		vals[0] = t->v;
		s = xg_ring_slot(&t->r, vals, 1, &d->at.syn);
		t->v[s] = xg_sat32((__u64)t->v[s] + delta);
		t->last_active_ns = now;
	}

	w = xg_ring_sum(&t->r, t->v, &d->at.syn);
	if (w < c->spoof_syn_rate || now < d->hot_until ||
	    (t->alerted && now - t->alerted_ns < c->realert_ns))
		return;
	ev = (struct xg_event){
		.type = XG_EV_ALERT,
		.kind = XG_KIND_SYN_FLOOD_SPOOFED,
		.dst = t->addr,
		.has_dst = true,
		.value = w,
		.threshold = c->spoof_syn_rate,
		.window_ns = c->syn_window_ns,
		.ts_ns = now,
	};
	emit(&ev, ctx);
	t->alerted = true;
	t->alerted_ns = now;
}

void xg_detector_poll(struct xg_detector *d, __u64 now_ns,
		      const struct xg_src_sample *src, size_t nsrc,
		      const struct xg_dst_sample *dst, size_t ndst,
		      const struct xg_conn_count *conn, size_t nconn,
		      xg_allowed_fn allowed, xg_emit_fn emit, void *ctx)
{
	struct src *s, *touched = NULL, **tail = &touched;
	__u64 gap = d->polled && now_ns > d->last_poll_ns ?
			    now_ns - d->last_poll_ns :
			    0;
	struct hint_buf *nb = &d->next, tmp;
	bool hint = xg_dt_hint_reserve(d, nsrc);
	size_t i, pos = 0;

	d->gen++;
	d->nseen = 0;
	xg_win_at_set(&d->at.syn, d->w.syn, d->cfg.syn_window_ns, now_ns);
	xg_win_at_set(&d->at.icmp, d->w.icmp, d->cfg.icmp_window_ns, now_ns);
	xg_win_at_set(&d->at.conn, d->w.conn, d->cfg.conn_window_ns, now_ns);
	/*
	 * d->next gets every source of this input, duplicates too, each with
	 * in_gen == gen from here to the end of the poll. Nothing frees such
	 * a source: xg_dt_drop_gone() and xg_dt_gc() free only sources with
	 * in_gen != gen, TBL_GET() on OOM only the entry it just made, and no
	 * other entry point frees any. So each pointer in it is still valid when the next
	 * poll reads it as d->prev. A new path freeing a source between polls
	 * must set d->prev.n = 0 first.
	 */
	for (i = 0; i < nsrc; i++) {
		/* The window of one that sent since then: its update reads it. */
		if (i + PF_WIN < nsrc && d->polled &&
		    src[i + PF_WIN].last_ns >= d->last_poll_ns)
			win_prefetch(&d->prev, pos + PF_WIN);
		s = src_find(d, &src[i].addr, &pos);
		if (!s)
			continue;
		if (hint) {
			s->hint_idx = nb->n;
			nb->v[nb->n++] = (struct hint){ src[i].addr, s };
		}
		touch(d, s, &tail);
		src_update(d, s, &src[i], now_ns);
	}
	for (i = 0; i < nconn; i++) {
		TBL_GET(d->srcs, &conn[i].addr, s);
		if (!s)
			continue;
		touch(d, s, &tail);
		s->est += conn[i].established;
	}

	/*
	 * touched is nb in order but for duplicates and, at its end, sources
	 * only in conn: prefetching nb's i-th for touched's i-th is close, and
	 * a wrong guess costs only the prefetch.
	 */
	for (s = touched, i = 0; s; s = s->next_touched, i++) {
		hint_prefetch(nb, i);
		src_judge(d, s, now_ns, gap, allowed, emit, ctx);
	}

	/* After every source, so a single-source flood is known as such. */
	for (i = 0; i < ndst; i++)
		dst_update(d, &dst[i], now_ns, emit, ctx);

	tmp = d->prev;
	d->prev = d->next;
	d->next = tmp;

	d->polled = true;
	d->last_poll_ns = now_ns;
	xg_dt_drop_gone(d, now_ns);
	if (now_ns >= d->next_gc) {
		xg_dt_gc(d, now_ns);
		d->next_gc = now_ns + d->min_win;
	}
}

void xg_detector_adopt(struct xg_detector *d, __u64 now_ns,
		       const struct xg_addr *a, enum xg_kind kind,
		       xg_allowed_fn allowed, xg_emit_fn emit, void *ctx)
{
	struct finding f = { .kind = kind };
	struct hist *h;
	struct src *s;

	if ((unsigned int)kind >= XG_KIND__MAX || !kinds[kind].reason)
		return;
	if (kind == XG_KIND_PORT_SCAN)
		f.value = f.threshold = d->cfg.scan_ports;
	TBL_GET(d->hist, a, h);
	/* Already banned by us: the kernel's trip is no news. */
	if (!h || now_ns < h->ban_end_ns)
		return;
	HASH_FIND(hh, d->srcs, a, sizeof(*a), s);
	decide(d, h, s, &f, now_ns, allowed, emit, ctx);
}
