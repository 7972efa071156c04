/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Admission to the source table. Inserting into a full LRU hash costs about
 * a microsecond (eviction under the LRU lock), forty times a lookup; a
 * spoofed flood makes every packet a new source, and the table would be
 * rewritten at line rate for sources that never send twice. So each CPU
 * may add at most admit_budget new sources per window of 2^30 ns (1.07 s),
 * enough for any real population of clients; past that, a new source must
 * first show admit_pkts packets within the window in a shared count sketch
 * (one row of 2^18 counters, tagged with the window so that none needs
 * clearing). A real attacker inside a flood sends thousands of packets a
 * second and earns its entry within milliseconds; a forged source sends
 * one. Refused packets still pass, still count per destination (the
 * spoofed-flood alarm) and are counted in admit_state.refused.
 */
#ifndef XDPGUARD_ADMIT_H
#define XDPGUARD_ADMIT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdpguard.h"

#define ADMIT_WIN_SHIFT 30
#define ADMIT_SKETCH_BITS 18

/* Set by the loader (rodata); 0 budget = admit every source. */
const volatile __u32 admit_budget = XG_SRC_MAX_DEFAULT / 16;
const volatile __u32 admit_pkts = XG_ADMIT_PKTS_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xg_admit_state);
	__uint(max_entries, 1);
} admit_state SEC(".maps");

/*
 * Shared on purpose, without atomics: a lost increment under contention
 * only delays an admission, and a per-CPU sketch would split the packets of
 * one source over CPUs (RSS) and see fewer of them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32); /* window tag << 16 | packets */
	__uint(max_entries, 1 << ADMIT_SKETCH_BITS);
} admit_sketch SEC(".maps");

/* Another multiplier than the verdict cache's: independent collisions. */
static __always_inline __u32 admit_index(const __u64 a[2])
{
	__u64 x = a[0] * 0xD6E8FEB86659FD93ULL ^ a[1];

	x *= 0x9FB21C651E98DF25ULL;
	return (__u32)(x >> 37) & ((1 << ADMIT_SKETCH_BITS) - 1);
}

/* May this new source take an entry in the source table now? */
static __always_inline int admit(const __u64 a[2], __u64 now)
{
	__u32 zero = 0, win = now >> ADMIT_WIN_SHIFT, tag = win << 16, i, v;
	struct xg_admit_state *st;
	__u32 *c;

	if (!admit_budget)
		return 1;
	st = bpf_map_lookup_elem(&admit_state, &zero);
	if (!st)
		return 1;
	if (st->win != win) {
		st->win = win;
		st->admitted = 0;
	}
	if (st->admitted < admit_budget) {
		st->admitted++;
		return 1;
	}
	i = admit_index(a);
	c = bpf_map_lookup_elem(&admit_sketch, &i);
	if (!c)
		return 0;
	v = *c;
	if ((v & 0xffff0000) != tag)
		v = tag;
	if ((v & 0xffff) < 0xffff)
		v++;
	*c = v;
	if ((v & 0xffff) >= admit_pkts) {
		st->admitted++;
		st->heavy++;
		return 1;
	}
	st->refused++;
	return 0;
}

#endif /* XDPGUARD_ADMIT_H */
