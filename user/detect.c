// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The detection engine: turns cumulative per-source and per-destination
 * counters, read every poll, into sliding-window rates, judges them against
 * the thresholds and decides alerts and escalating bans.
 *
 * Sliding windows (detwin.c) of 16 slots each: a count within a window W
 * never includes a delta older than W, and it is exact whenever polls are at
 * least W/15 apart. Memory per source is fixed: three rings of 16 slots
 * (~470 bytes), allocated only while the source is active, plus ~130 bytes
 * while it is in the kernel map and ~50 for the order hint (two arrays of 24
 * bytes a source, see struct hint).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "detect.h"
#include "detwin.h"

/*
 * Never abort on allocation failure (uthash's default): a source we cannot
 * track is skipped. Tables are keyed by the 16-byte address with a hash
 * seeded per detector, so spoofed source addresses cannot be chosen to pile
 * into one bucket. HASH_FUNCTION expects a detector named d in scope.
 */
#define HASH_NONFATAL_OOM 1
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = addr_hash(d, keyptr))
#include <uthash.h>

#define BIT(k) (1U << (k))
/*
 * How far ahead along a hint the poll prefetches a source and, nearer (its
 * pointer is in the source), its window. In a daemon that has run a while
 * sources lie in memory in no order the input follows: without this, each
 * is a cache miss the walk waits for.
 */
#define PF_SRC 16
#define PF_WIN 8

struct src {
	struct xg_addr addr; /* key */
	bool primed; /* the cumulative values below are valid */
	bool active; /* sent packets since the previous poll */
	__u64 pkts, first_ns;
	__u32 syns, icmp;
	__u32 tcp_ports, udp_ports, est; /* this poll's snapshot */
	/*
	 * Its window sums at this poll, set by the update that moved it
	 * (while the window is in cache): valid while active.
	 */
	__u32 syn_w, pkts_w, icmp_w, conn_w;
	__u32 hint_idx; /* its index in the hint it was last put in */
	__u64 last_active_ns;
	__u64 in_gen; /* last poll it was in the source input */
	__u64 touch_gen; /* last poll it was queued for judging */
	__u64 ban_until; /* banned by us until then; 0 = not */
	struct src *next_touched;
	struct xg_win *win; /* NULL while idle */
	UT_hash_handle hh;
};

/* What an address did to earn reports and bans; outlives its traffic. */
struct hist {
	struct xg_addr addr;
	__u64 ban_end_ns; /* the latest ban ends (or ended) then */
	__u32 repeat; /* latest ban's repeat count; 0 = never banned */
	__u32 ban_reason; /* latest ban's */
	bool ban_open; /* its end not yet reported (forget()) */
	__u32 alerted_mask; /* kinds in alerted[] */
	__u64 alerted[XG_KIND__MAX]; /* last report per kind */
	UT_hash_handle hh;
};

struct dst {
	struct xg_addr addr;
	__u64 syns;
	__u64 in_gen, last_active_ns;
	bool alerted;
	__u64 alerted_ns;
	struct xg_ring r;
	__u32 v[XG_SLOTS]; /* SYNs over syn_window */
	UT_hash_handle hh;
};

/*
 * One source of a poll's input, in input order: the next poll, which sees
 * the sources in the same order (the kernel table walked in slot order,
 * with some entries inserted or removed), finds each one by comparing
 * against it, in sequence, instead of a hash lookup into a table far larger
 * than the caches. addr is a copy, so that a mismatch costs nothing more.
 */
struct hint {
	struct xg_addr addr;
	struct src *s;
};

struct hint_buf {
	struct hint *v;
	size_t n, cap;
};

struct xg_detector {
	struct xg_detect_cfg cfg;
	struct xg_win_widths w; /* slot widths */
	struct xg_win_now at; /* where this poll's now falls in each window */
	__u64 min_win, max_win;
	__u64 seed;
	struct src *srcs;
	struct hist *hist;
	struct dst *dsts;
	__u64 gen; /* poll counter */
	/*
	 * The previous poll's input and the one this poll builds, swapped at
	 * its end. Every s in prev is in srcs: see xg_detector_poll().
	 */
	struct hint_buf prev, next;
	size_t nseen; /* distinct sources in this poll's source input */
	bool polled;
	__u64 last_poll_ns;
	/* Until then some source may still hold syn_rate within syn_window. */
	__u64 hot_until;
	__u64 next_gc;
};

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

static unsigned int addr_hash(const struct xg_detector *d, const void *key)
{
	__u64 w[2], h;

	memcpy(w, key, sizeof(w));
	h = (w[0] ^ d->seed) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 31) ^ w[1]) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 29)) * 0x94d049bb133111ebULL;
	return (unsigned int)(h ^ (h >> 32));
}

static __u64 min_u64(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

static __u64 max_u64(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

/* Points e at the entry of a in table head, added zeroed if new; NULL: OOM. */
#define TBL_GET(head, a, e)                                                  \
	do {                                                                 \
		HASH_FIND(hh, head, a, sizeof(struct xg_addr), e);           \
		if (!(e) && ((e) = calloc(1, sizeof(*(e))))) {               \
			(e)->addr = *(a);                                    \
			HASH_ADD(hh, head, addr, sizeof(struct xg_addr), e); \
			if (!(e)->hh.tbl) {                                  \
				free(e);                                     \
				(e) = NULL;                                  \
			}                                                    \
		}                                                            \
	} while (0)

#define TBL_DEL(head, e)           \
	do {                       \
		HASH_DEL(head, e); \
		free(e);           \
	} while (0)

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
	if (!moved)
		return;
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

static bool quiet(const struct xg_detector *d, const struct hist *h,
		  enum xg_kind k, __u64 now)
{
	return h->alerted_mask & BIT(k) &&
	       now - h->alerted[k] < d->cfg.realert_ns;
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

static bool hist_stale(const struct xg_detector *d, const struct hist *h,
		       __u64 now)
{
	int k;

	if (now < h->ban_end_ns)
		return false;
	if (h->repeat && now - h->ban_end_ns <= d->cfg.repeat_window_ns)
		return false;
	for (k = 0; k < XG_KIND__MAX; k++)
		if (quiet(d, h, k, now))
			return false;
	return true;
}

/*
 * Drops what can no longer matter: sources gone from the kernel and idle
 * past the longest window, the windows of idle sources still in the map,
 * histories past repeat_window and realert, gone destinations.
 */
static void gc(struct xg_detector *d, __u64 now)
{
	struct src *s, *stmp;
	struct hist *h, *htmp;
	struct dst *t, *ttmp;

	HASH_ITER(hh, d->srcs, s, stmp) {
		if (now - s->last_active_ns < d->max_win)
			continue;
		free(s->win);
		s->win = NULL;
		/* Not in this poll's input, so not in the next poll's hint. */
		if (s->in_gen != d->gen)
			TBL_DEL(d->srcs, s);
	}
	HASH_ITER(hh, d->hist, h, htmp)
		if (hist_stale(d, h, now))
			TBL_DEL(d->hist, h);
	HASH_ITER(hh, d->dsts, t, ttmp)
		if (t->in_gen != d->gen &&
		    now - t->last_active_ns >= d->cfg.syn_window_ns &&
		    !(t->alerted && now - t->alerted_ns < d->cfg.realert_ns))
			TBL_DEL(d->dsts, t);
}

static bool cfg_valid(const struct xg_detect_cfg *c)
{
	return c->syn_window_ns && c->icmp_window_ns && c->conn_window_ns &&
	       c->ban_ttl_ns && c->ban_ttl_max_ns >= c->ban_ttl_ns &&
	       c->syn_ratio >= 0 && c->syn_ratio <= 1;
}

struct xg_detector *xg_detector_new(const struct xg_detect_cfg *cfg)
{
	struct xg_detector *d;

	if (!cfg || !cfg_valid(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cfg = *cfg;
	d->w.syn = xg_slot_width(cfg->syn_window_ns);
	d->w.icmp = xg_slot_width(cfg->icmp_window_ns);
	d->w.conn = xg_slot_width(cfg->conn_window_ns);
	d->min_win = min_u64(min_u64(cfg->syn_window_ns, cfg->icmp_window_ns),
			     cfg->conn_window_ns);
	d->max_win = max_u64(max_u64(cfg->syn_window_ns, cfg->icmp_window_ns),
			     cfg->conn_window_ns);
	/* Unpredictable is enough; without getrandom() ASLR still helps. */
	if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) !=
	    sizeof(d->seed))
		d->seed = (__u64)(unsigned long)d * 0x9e3779b97f4a7c15ULL;
	return d;
}

void xg_detector_free(struct xg_detector *d)
{
	struct src *s, *stmp;
	struct hist *h, *htmp;
	struct dst *t, *ttmp;

	if (!d)
		return;
	HASH_ITER(hh, d->srcs, s, stmp) {
		free(s->win);
		TBL_DEL(d->srcs, s);
	}
	HASH_ITER(hh, d->hist, h, htmp)
		TBL_DEL(d->hist, h);
	HASH_ITER(hh, d->dsts, t, ttmp)
		TBL_DEL(d->dsts, t);
	free(d->prev.v);
	free(d->next.v);
	free(d);
}

/*
 * Forgets, every poll, the sources the kernel no longer tracks (its LRU
 * evicted them) unless we banned them: the kernel counts them from zero
 * when they come back anyway. Without this a spoofed flood of N distinct
 * sources would leave N sources here until they idle past the longest
 * window (10 s by default): about 650 bytes each, 650 MB for 1M sources.
 * With it the table stays at most the kernel's src_max plus what one poll
 * adds. An attacker active enough to matter keeps its kernel entry fresh.
 */
static void drop_gone(struct xg_detector *d, __u64 now)
{
	struct src *s, *stmp;

	/*
	 * Every source we hold was in this poll's input (the steady state):
	 * none is gone, and the walk below would skip each one.
	 */
	if (d->nseen == HASH_COUNT(d->srcs))
		return;
	/* Frees only sources not in this poll's input: none in its hint. */
	HASH_ITER(hh, d->srcs, s, stmp) {
		if (s->in_gen == d->gen || (s->ban_until && now < s->ban_until))
			continue;
		free(s->win);
		TBL_DEL(d->srcs, s);
	}
}

/*
 * Sizes d->next for n sources. Its contents are dead (the previous poll's
 * previous input), so a new buffer need not copy them; one far too large
 * for the input (a flood over) is given back. False: no hint this poll.
 */
static bool hint_reserve(struct xg_detector *d, size_t n)
{
	struct hint_buf *b = &d->next;
	size_t cap = n + n / 8 + 16;

	b->n = 0;
	if (n >= UINT32_MAX) /* struct src's hint_idx */
		return false;
	if (n <= b->cap && b->cap / 4 <= cap)
		return true;
	free(b->v);
	b->v = malloc(cap * sizeof(*b->v));
	b->cap = b->v ? cap : 0;
	return b->v;
}

/* Starts loading the window of b->v[k]'s source, if it has one. */
static inline __attribute__((always_inline)) void
win_prefetch(const struct hint_buf *b, size_t k)
{
	const char *w;
	size_t l;

	if (k >= b->n || !b->v[k].s->win)
		return;
	w = (const char *)b->v[k].s->win;
	for (l = 0; l < sizeof(struct xg_win); l += 64)
		__builtin_prefetch(w + l);
	__builtin_prefetch(w + sizeof(struct xg_win) - 1);
}

/*
 * Starts loading the source at b->v[k + PF_SRC].
 * Always inlined: gcc 12 -O2 finds that a call to a function doing nothing
 * but prefetches has no effect, and drops it.
 */
static inline __attribute__((always_inline)) void
hint_prefetch(const struct hint_buf *b, size_t k)
{
	if (k + PF_SRC < b->n) {
		const struct src *s = b->v[k + PF_SRC].s;

		/* What polling and judging read: addr up to win. */
		__builtin_prefetch(s);
		__builtin_prefetch((const char *)s + 64);
		__builtin_prefetch(&s->win);
	}
}

/*
 * TBL_GET() of a, the hint asked first (its s is the table's for its addr).
 * *pos walks d->prev along the input; after a mismatch (a source inserted
 * or removed in between) it goes on just past the source looked up, if
 * prev holds that.
 */
static struct src *src_find(struct xg_detector *d, const struct xg_addr *a,
			    size_t *pos)
{
	const struct hint_buf *p = &d->prev;
	struct src *s;

	if (*pos < p->n && !memcmp(&p->v[*pos].addr, a, sizeof(*a))) {
		/* Not the window: only an active source's update reads it. */
		hint_prefetch(p, *pos);
		return p->v[(*pos)++].s;
	}
	TBL_GET(d->srcs, a, s);
	/* A stale hint_idx (another poll's, a new source's 0) fails this. */
	if (s && s->hint_idx < p->n && p->v[s->hint_idx].s == s)
		*pos = s->hint_idx + 1;
	return s;
}

/* Queues s once per poll, in input order; clears last poll's snapshot. */
static void touch(struct xg_detector *d, struct src *s, struct src ***tail)
{
	if (s->touch_gen == d->gen)
		return;
	s->touch_gen = d->gen;
	s->est = 0;
	s->active = false;
	s->next_touched = NULL;
	**tail = s;
	*tail = &s->next_touched;
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
	bool hint = hint_reserve(d, nsrc);
	size_t i, pos = 0;

	d->gen++;
	d->nseen = 0;
	xg_win_at_set(&d->at.syn, d->w.syn, d->cfg.syn_window_ns, now_ns);
	xg_win_at_set(&d->at.icmp, d->w.icmp, d->cfg.icmp_window_ns, now_ns);
	xg_win_at_set(&d->at.conn, d->w.conn, d->cfg.conn_window_ns, now_ns);
	/*
	 * d->next gets every source of this input, duplicates too, each with
	 * in_gen == gen from here to the end of the poll. Nothing frees such
	 * a source: drop_gone() and gc() free only sources with in_gen != gen,
	 * TBL_GET() on OOM only the entry it just made, and no other entry
	 * point frees any. So each pointer in it is still valid when the next
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
	drop_gone(d, now_ns);
	if (now_ns >= d->next_gc) {
		gc(d, now_ns);
		d->next_gc = now_ns + d->min_win;
	}
}

void xg_detector_forget(struct xg_detector *d, const struct xg_addr *a)
{
	struct hist *h;
	struct src *s;

	HASH_FIND(hh, d->hist, a, sizeof(*a), h);
	HASH_FIND(hh, d->srcs, a, sizeof(*a), s);
	if (s) {
		s->ban_until = 0;
		free(s->win);
		s->win = NULL;
	}
	if (!h)
		return;
	/* The ban ended now (or earlier, if this is its expiry's sweep). */
	h->ban_end_ns = min_u64(h->ban_end_ns, d->last_poll_ns);
	h->ban_open = false;
	h->alerted_mask = 0;
}

__u32 xg_detector_ended(const struct xg_detector *d, const struct xg_addr *a,
			__u64 now_ns)
{
	struct hist *h;

	HASH_FIND(hh, d->hist, a, sizeof(*a), h);
	return h && h->ban_open && h->ban_end_ns <= now_ns ? h->ban_reason :
							     XG_REASON_NONE;
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

void xg_detector_sync_bans(struct xg_detector *d, __u64 now_ns,
			   xg_banned_fn banned, void *ctx)
{
	struct hist *h, *tmp;

	HASH_ITER(hh, d->hist, h, tmp)
		if (now_ns < h->ban_end_ns && !banned(&h->addr, ctx))
			xg_detector_forget(d, &h->addr);
}

size_t xg_detector_tracked(const struct xg_detector *d)
{
	return HASH_COUNT(d->srcs);
}

void xg_detector_seed(struct xg_detector *d, const struct xg_addr *a,
		      __u32 repeat, __u64 ban_end_ns)
{
	struct hist *h;

	TBL_GET(d->hist, a, h);
	if (!h)
		return;
	if (repeat > h->repeat)
		h->repeat = repeat;
	if (ban_end_ns > h->ban_end_ns)
		h->ban_end_ns = ban_end_ns;
}
