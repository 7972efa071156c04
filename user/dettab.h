/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The detector's tables, private to detect.c and dettab.c: its sources,
 * the histories that outlive them and its destinations (uthash, keyed by
 * address), and the order hint that lets a poll find each source of its
 * input without hashing into a table far larger than the caches. What a
 * poll calls per source is here, inline; the tables' upkeep is dettab.c.
 */
#ifndef XG_DETTAB_H
#define XG_DETTAB_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

static inline unsigned int addr_hash(const struct xg_detector *d,
				     const void *key)
{
	__u64 w[2], h;

	memcpy(w, key, sizeof(w));
	h = (w[0] ^ d->seed) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 31) ^ w[1]) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 29)) * 0x94d049bb133111ebULL;
	return (unsigned int)(h ^ (h >> 32));
}

static inline __u64 min_u64(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

static inline __u64 max_u64(__u64 a, __u64 b)
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

static inline bool quiet(const struct xg_detector *d, const struct hist *h,
			 enum xg_kind k, __u64 now)
{
	return h->alerted_mask & BIT(k) &&
	       now - h->alerted[k] < d->cfg.realert_ns;
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
static inline struct src *src_find(struct xg_detector *d,
				   const struct xg_addr *a, size_t *pos)
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
static inline void touch(struct xg_detector *d, struct src *s,
			 struct src ***tail)
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

/* Sizes d->next for n sources; false: no hint this poll. */
bool xg_dt_hint_reserve(struct xg_detector *d, size_t n);
/* Frees the sources the kernel no longer tracks (not in this poll's input). */
void xg_dt_drop_gone(struct xg_detector *d, __u64 now);
/* Frees what can no longer matter: idle windows, old histories and dsts. */
void xg_dt_gc(struct xg_detector *d, __u64 now);

#endif /* XG_DETTAB_H */
