// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The detector's tables (dettab.h): creating and freeing them, sizing the
 * order hint, and dropping what can no longer matter; the operator's and
 * the daemon's calls that read or clear one address's state.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

#include "dettab.h"

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
 * Drops what can no longer matter: histories past repeat_window and
 * realert, gone destinations. (Sources are not walked here: the poll frees
 * the windows of the idle ones it reads, xg_dt_drop_gone() those gone from
 * the kernel; a walk of 1M sources took ~20 ms once a second.)
 */
void xg_dt_gc(struct xg_detector *d, __u64 now)
{
	struct hist *h, *htmp;
	struct dst *t, *ttmp;

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
 * evicted them) unless we banned them and they are not yet idle past the
 * longest window: the kernel counts them from zero
 * when they come back anyway. Without this a spoofed flood of N distinct
 * sources would leave N sources here until they idle past the longest
 * window (10 s by default): about 650 bytes each, 650 MB for 1M sources.
 * With it the table stays at most the kernel's src_max plus what one poll
 * adds. An attacker active enough to matter keeps its kernel entry fresh.
 */
void xg_dt_drop_gone(struct xg_detector *d, __u64 now)
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
		if (s->in_gen == d->gen ||
		    (s->ban_until && now < s->ban_until &&
		     now - s->last_active_ns < d->max_win))
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
bool xg_dt_hint_reserve(struct xg_detector *d, size_t n)
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
