/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Offenders by prefix rather than by address. An IPv6 host owns a whole
 * /64 and can send from any address in it, so per-address counters are
 * also summed per /64 (configurable), and those sums judged by a detector
 * of their own. And when many addresses of one prefix are banned, the
 * prefix itself can be (widening). Pure: samples and a clock in, samples
 * and decisions out.
 */
#ifndef XG_AGGREGATE_H
#define XG_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include "detect.h"
#include "maps.h"

struct xg_agg_cfg {
	__u32 v6_prefix; /* IPv6 prefix length summed over; 128 = off */
	__u64 active_ns; /* an address counts as active this long after it sent */
	__u32 min_members; /* active addresses a prefix needs to be judged */
};

struct xg_agg;

/* NULL with errno EINVAL (bad cfg) or ENOMEM. */
struct xg_agg *xg_agg_new(const struct xg_agg_cfg *cfg);
void xg_agg_free(struct xg_agg *g);

/* Addresses to leave out of the sums (on-link, banned this poll). */
typedef bool (*xg_agg_skip_fn)(const struct xg_addr *a, void *ctx);

/*
 * One poll over the whole source map (sk: each source's port sketches, may
 * be NULL). Returns the number of prefix samples in *out (valid until the
 * next call): IPv6 prefixes with at least min_members addresses active,
 * keyed by the prefix's first address, with cumulative counters that
 * start from zero whenever a prefix (re)enters the output, so a detector
 * sees the series it expects. Deltas are per address, as the detector
 * takes them: an entry new since the previous poll counts whole, and on
 * the first poll nothing counts (the counters may be days old).
 */
size_t xg_agg_poll(struct xg_agg *g, __u64 now, const struct xg_src_sample *src,
		   const struct xg_src_sketch *sk, size_t n,
		   xg_agg_skip_fn skip, void *ctx, struct xg_src_sample **out);

/* Addresses and prefixes held (for tests and stats). */
size_t xg_agg_tracked(const struct xg_agg *g, size_t *prefixes);

struct xg_widen_cfg {
	__u32 after; /* bans inside one prefix that ban the prefix; 0 = off */
	__u32 v4_len; /* IPv4 prefix length, 1..31 */
	__u32 v6_len; /* IPv6 prefix length, 1..127 */
};

struct xg_widen;

struct xg_widen *xg_widen_new(const struct xg_widen_cfg *cfg);
void xg_widen_free(struct xg_widen *w);

/*
 * A ban of k (an address as /128, or a narrower prefix) until expires (0 =
 * never), at now. Returns true with *cover when the covering prefix now
 * holds cfg.after distinct live bans; it then counts afresh. Bans as wide
 * as the cover, or wider, are not counted.
 */
bool xg_widen_note(struct xg_widen *w, const struct xg_lpm_key *k,
		   __u64 expires, __u64 now, struct xg_lpm_key *cover);
/* Forgets what expired by now; returns the covers still tracked. */
size_t xg_widen_gc(struct xg_widen *w, __u64 now);

#endif /* XG_AGGREGATE_H */
