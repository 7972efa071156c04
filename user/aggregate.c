// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-prefix sums of per-address counters, and widening. The kernel keeps
 * counting per address only (one map update per packet, whatever the
 * prefix length); sums per /64 are made here, once per poll, so the hot
 * path pays nothing for them. Tables are uthash keyed by address with a
 * per-instance random seed, so spoofed sources cannot be chosen to pile
 * into one bucket (as in detect.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "aggregate.h"
#include "parse.h"
#include "prefixes.h"

#define HASH_NONFATAL_OOM 1
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = seeded_hash(keyptr))
#include <uthash.h>

static __u64 hash_seed;

static unsigned int seeded_hash(const void *key)
{
	__u64 w[2], h;

	memcpy(w, key, sizeof(w));
	h = (w[0] ^ hash_seed) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 31) ^ w[1]) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 29)) * 0x94d049bb133111ebULL;
	return (unsigned int)(h ^ (h >> 32));
}

static void seed_once(void)
{
	if (hash_seed)
		return;
	if (getrandom(&hash_seed, sizeof(hash_seed), GRND_NONBLOCK) !=
	    sizeof(hash_seed))
		hash_seed = (__u64)(unsigned long)&hash_seed *
			    0x9e3779b97f4a7c15ULL;
	hash_seed |= 1;
}

struct counts {
	__u64 pkts, bytes, syns, icmp, udp;
};

struct member {
	struct xg_addr addr; /* key */
	__u64 pkts, bytes, first_ns;
	__u32 syns, icmp, udp;
	__u64 last_active_ns;
	__u64 seen_gen;
	UT_hash_handle hh;
};

struct prefix {
	struct xg_addr key; /* the prefix's first address */
	struct counts delta; /* this poll */
	struct counts cum; /* while in the output */
	__u64 tcp[XG_PORT_WORDS], udp[XG_PORT_WORDS];
	__u32 active, members;
	bool emitting;
	__u64 first_ns;
	__u64 seen_gen;
	UT_hash_handle hh;
};

struct xg_agg {
	struct xg_agg_cfg cfg;
	struct member *members;
	struct prefix *prefixes;
	struct xg_src_sample *out;
	size_t out_cap;
	__u64 gen;
	bool polled;
};

struct xg_agg *xg_agg_new(const struct xg_agg_cfg *cfg)
{
	struct xg_agg *g;

	if (!cfg || !cfg->v6_prefix || cfg->v6_prefix > 128 ||
	    !cfg->min_members) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	seed_once();
	g->cfg = *cfg;
	return g;
}

void xg_agg_free(struct xg_agg *g)
{
	struct member *m, *mt;
	struct prefix *p, *pt;

	if (!g)
		return;
	HASH_ITER(hh, g->members, m, mt) {
		HASH_DEL(g->members, m);
		free(m);
	}
	HASH_ITER(hh, g->prefixes, p, pt) {
		HASH_DEL(g->prefixes, p);
		free(p);
	}
	free(g->out);
	free(g);
}

static void mask(const struct xg_addr *a, __u32 len, struct xg_addr *out)
{
	struct xg_lpm_key k = { .prefixlen = len }, m;

	memcpy(k.a, a->a, sizeof(k.a));
	xg_prefix_mask(&k, len, &m);
	memcpy(out->a, m.a, sizeof(out->a));
}

/* This poll's delta of one address, as the detector would take it. */
static bool member_delta(struct xg_agg *g, struct member *m, bool is_new,
			 const struct xg_src_sample *x, struct counts *d)
{
	memset(d, 0, sizeof(*d));
	if (!is_new && x->first_ns == m->first_ns && x->pkts >= m->pkts) {
		d->pkts = x->pkts - m->pkts;
		d->bytes = x->bytes >= m->bytes ? x->bytes - m->bytes : 0;
		/* The 32-bit counters wrap: their u32 difference counts. */
		d->syns = (__u32)(x->syns - m->syns);
		d->icmp = (__u32)(x->icmp_echo - m->icmp);
		d->udp = (__u32)(x->udp - m->udp);
	} else if (g->polled) {
		/* Created (again) since the previous poll: all of it is new. */
		d->pkts = x->pkts;
		d->bytes = x->bytes;
		d->syns = x->syns;
		d->icmp = x->icmp_echo;
		d->udp = x->udp;
	}
	m->pkts = x->pkts;
	m->bytes = x->bytes;
	m->first_ns = x->first_ns;
	m->syns = x->syns;
	m->icmp = x->icmp_echo;
	m->udp = x->udp;
	return d->pkts || d->syns || d->icmp || d->udp;
}

static void add(struct counts *a, const struct counts *b)
{
	a->pkts += b->pkts;
	a->bytes += b->bytes;
	a->syns += b->syns;
	a->icmp += b->icmp;
	a->udp += b->udp;
}

/* Takes one IPv6 address's sample into its member and prefix. */
static void take(struct xg_agg *g, __u64 now, const struct xg_src_sample *x,
		 const struct xg_src_sketch *sk, bool skipped)
{
	struct member *m;
	struct prefix *p;
	struct xg_addr key;
	struct counts d;
	bool is_new = false, active;
	int w;

	HASH_FIND(hh, g->members, &x->addr, sizeof(x->addr), m);
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return;
		m->addr = x->addr;
		HASH_ADD(hh, g->members, addr, sizeof(m->addr), m);
		if (!m->hh.tbl) {
			free(m);
			return;
		}
		is_new = true;
	}
	m->seen_gen = g->gen;
	active = member_delta(g, m, is_new, x, &d);
	if (skipped)
		return;
	if (active)
		m->last_active_ns = now;

	mask(&x->addr, g->cfg.v6_prefix, &key);
	HASH_FIND(hh, g->prefixes, &key, sizeof(key), p);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return;
		p->key = key;
		HASH_ADD(hh, g->prefixes, key, sizeof(p->key), p);
		if (!p->hh.tbl) {
			free(p);
			return;
		}
	}
	if (p->seen_gen != g->gen) {
		p->seen_gen = g->gen;
		memset(&p->delta, 0, sizeof(p->delta));
		memset(p->tcp, 0, sizeof(p->tcp));
		memset(p->udp, 0, sizeof(p->udp));
		p->active = p->members = 0;
	}
	p->members++;
	if (m->last_active_ns && now - m->last_active_ns < g->cfg.active_ns)
		p->active++;
	add(&p->delta, &d);
	/* A sketch says something only while its source sends. */
	if (sk && active)
		for (w = 0; w < XG_PORT_WORDS; w++) {
			p->tcp[w] |= sk->tcp[w];
			p->udp[w] |= sk->udp[w];
		}
}

static __u32 sat32(__u64 v)
{
	return v > 0xffffffffULL ? 0xffffffffU : (__u32)v;
}

size_t xg_agg_poll(struct xg_agg *g, __u64 now, const struct xg_src_sample *src,
		   const struct xg_src_sketch *sk, size_t n,
		   xg_agg_skip_fn skip, void *ctx, struct xg_src_sample **out)
{
	struct member *m, *mt;
	struct prefix *p, *pt;
	size_t i, cnt = 0;

	g->gen++;
	*out = g->out;
	if (g->cfg.v6_prefix >= 128)
		return 0;
	for (i = 0; i < n; i++) {
		if (xg_addr_is_v4(&src[i].addr))
			continue;
		take(g, now, &src[i], sk ? &sk[i] : NULL,
		     skip && skip(&src[i].addr, ctx));
	}
	g->polled = true;

	HASH_ITER(hh, g->members, m, mt) {
		if (m->seen_gen == g->gen)
			continue;
		HASH_DEL(g->members, m);
		free(m);
	}
	HASH_ITER(hh, g->prefixes, p, pt) {
		struct xg_src_sample *s;

		if (p->seen_gen != g->gen) {
			HASH_DEL(g->prefixes, p);
			free(p);
			continue;
		}
		if (p->active < g->cfg.min_members) {
			p->emitting = false;
			continue;
		}
		if (!p->emitting) {
			/* (Re)entering: a fresh series from zero. */
			memset(&p->cum, 0, sizeof(p->cum));
			p->first_ns = now;
			p->emitting = true;
		}
		add(&p->cum, &p->delta);
		if (cnt == g->out_cap) {
			size_t cap = g->out_cap * 2 + 64;
			void *nb = realloc(g->out, cap * sizeof(*g->out));

			if (!nb)
				break;
			g->out = nb;
			g->out_cap = cap;
		}
		s = &g->out[cnt++];
		memset(s, 0, sizeof(*s));
		s->addr = p->key;
		s->pkts = p->cum.pkts;
		s->bytes = p->cum.bytes;
		s->syns = sat32(p->cum.syns);
		s->icmp_echo = sat32(p->cum.icmp);
		s->udp = sat32(p->cum.udp);
		s->tcp_ports = xg_ports_estimate(p->tcp);
		s->udp_ports = xg_ports_estimate(p->udp);
		s->first_ns = p->first_ns;
		s->last_ns = now;
	}
	*out = g->out;
	return cnt;
}

size_t xg_agg_tracked(const struct xg_agg *g, size_t *prefixes)
{
	if (prefixes)
		*prefixes = HASH_COUNT(g->prefixes);
	return HASH_COUNT(g->members);
}

/* ---- widening ---- */

struct cover {
	struct xg_addr key; /* masked address of the cover... */
	__u32 len; /* ...and its length: both in the key */
	struct xg_lpm_key *bans;
	__u64 *expires;
	__u32 n;
	UT_hash_handle hh;
};

struct xg_widen {
	struct xg_widen_cfg cfg;
	struct cover *covers;
};

struct xg_widen *xg_widen_new(const struct xg_widen_cfg *cfg)
{
	struct xg_widen *w;

	if (!cfg || !cfg->after || !cfg->v4_len || cfg->v4_len >= 32 ||
	    !cfg->v6_len || cfg->v6_len >= 128) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	seed_once();
	w->cfg = *cfg;
	return w;
}

static void cover_free(struct xg_widen *w, struct cover *c)
{
	HASH_DEL(w->covers, c);
	free(c->bans);
	free(c->expires);
	free(c);
}

void xg_widen_free(struct xg_widen *w)
{
	struct cover *c, *t;

	if (!w)
		return;
	HASH_ITER(hh, w->covers, c, t)
		cover_free(w, c);
	free(w);
}

static bool live(__u64 expires, __u64 now)
{
	return !expires || now < expires;
}

/* Drops the expired bans of c; true if none is left. */
static bool prune(struct cover *c, __u64 now)
{
	__u32 i, j;

	for (i = j = 0; i < c->n; i++) {
		if (!live(c->expires[i], now))
			continue;
		c->bans[j] = c->bans[i];
		c->expires[j++] = c->expires[i];
	}
	c->n = j;
	return !j;
}

bool xg_widen_note(struct xg_widen *w, const struct xg_lpm_key *k,
		   __u64 expires, __u64 now, struct xg_lpm_key *cover)
{
	struct xg_addr a;
	struct xg_lpm_key ck;
	struct cover *c;
	__u32 i, len;

	memcpy(a.a, k->a, sizeof(a.a));
	len = xg_addr_is_v4(&a) && k->prefixlen >= 96 ? 96 + w->cfg.v4_len :
							w->cfg.v6_len;
	if (k->prefixlen <= len)
		return false;
	xg_prefix_mask(k, len, &ck);
	HASH_FIND(hh, w->covers, ck.a, sizeof(ck.a), c);
	if (c && c->len != len)
		return false; /* cannot happen: lengths differ by family */
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return false;
		memcpy(c->key.a, ck.a, sizeof(c->key.a));
		c->len = len;
		c->bans = calloc(w->cfg.after, sizeof(*c->bans));
		c->expires = calloc(w->cfg.after, sizeof(*c->expires));
		if (!c->bans || !c->expires) {
			free(c->bans);
			free(c->expires);
			free(c);
			return false;
		}
		HASH_ADD(hh, w->covers, key, sizeof(c->key), c);
		if (!c->hh.tbl) {
			free(c->bans);
			free(c->expires);
			free(c);
			return false;
		}
	}
	prune(c, now);
	for (i = 0; i < c->n; i++) {
		if (!xg_lpm_key_cmp(&c->bans[i], k)) {
			c->expires[i] = expires;
			return false;
		}
	}
	if (c->n < w->cfg.after) {
		c->bans[c->n] = *k;
		c->expires[c->n++] = expires;
	}
	if (c->n < w->cfg.after)
		return false;
	*cover = ck;
	cover_free(w, c);
	return true;
}

size_t xg_widen_gc(struct xg_widen *w, __u64 now)
{
	struct cover *c, *t;

	HASH_ITER(hh, w->covers, c, t)
		if (prune(c, now))
			cover_free(w, c);
	return HASH_COUNT(w->covers);
}
