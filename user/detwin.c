// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The detector's sliding windows. Each window W is cut into slots of width
 * w = ceil(W / (XG_SLOTS - 1)); a poll's delta is added to the slot its time
 * falls in, and each slot remembers (to the microsecond, rounded down) when
 * its first delta arrived. A count within W is the sum over the slots fully
 * inside (now - W, now] plus the boundary slot if its first delta is inside.
 * So a count never includes a delta older than W, and it is exact whenever
 * polls are at least w apart (W/15: 67 ms for 1 s, 667 ms for 10 s). With
 * denser polls the boundary slot may be left out whole: the count can miss up
 * to w of the window's oldest traffic, never add any.
 *
 * Also the estimate of distinct ports from the kernel's port-window sketch.
 */
#include <math.h>

#include "detect.h"
#include "detwin.h"

#define NSEC_PER_USEC 1000ULL

__u64 xg_slot_width(__u64 win)
{
	return (win + XG_SLOTS - 2) / (XG_SLOTS - 1);
}

void xg_win_at_set(struct xg_win_at *a, __u64 width, __u64 win, __u64 now)
{
	__u64 b = now > win ? now - win : 0;

	a->idx = now / width;
	/* Rounded down: a slot never looks younger than it is. */
	a->first_us = xg_sat32((now - a->idx * width) / NSEC_PER_USEC);
	a->ib = b / width;
	a->ob = b % width;
	a->whole = now >= win;
}

unsigned int xg_ring_slot(struct xg_ring *r, __u32 *const vals[], int nv,
			  const struct xg_win_at *a)
{
	__u64 i;
	int k;

	/* A clock going backwards would be a caller bug: keep the head. */
	if (a->idx > r->head) {
		for (i = r->head + 1; i <= a->idx && i <= r->head + XG_SLOTS;
		     i++)
			for (k = 0; k < nv; k++)
				vals[k][i % XG_SLOTS] = 0;
		r->head = a->idx;
		r->first_us[a->idx % XG_SLOTS] = a->first_us;
	}
	return r->head % XG_SLOTS;
}

void xg_win_add(struct xg_win *w, const struct xg_win_now *at, __u32 syns,
		__u32 pkts, __u32 icmp)
{
	__u32 *syn_v[] = { w->syn, w->pkts }, *icmp_v[] = { w->icmp },
	      *conn_v[] = { w->conn };
	unsigned int s;

	if (syns || pkts) {
		s = xg_ring_slot(&w->syn_r, syn_v, 2, &at->syn);
		w->syn[s] = xg_sat32((__u64)w->syn[s] + syns);
		w->pkts[s] = xg_sat32((__u64)w->pkts[s] + pkts);
	}
	if (icmp) {
		s = xg_ring_slot(&w->icmp_r, icmp_v, 1, &at->icmp);
		w->icmp[s] = xg_sat32((__u64)w->icmp[s] + icmp);
	}
	if (syns) {
		s = xg_ring_slot(&w->conn_r, conn_v, 1, &at->conn);
		w->conn[s] = xg_sat32((__u64)w->conn[s] + syns);
	}
}

static unsigned int estimate(unsigned int set)
{
	const double m = XG_PORT_BITS;

	if (set >= XG_PORT_BITS)
		return lround(m * log(m));
	return lround(-m * log((m - set) / m));
}

/*
 * The estimate depends on the number of bits set only: a table of the
 * XG_PORT_BITS + 1 answers, as the reader asks twice per source per poll
 * (their log() calls were ~10 ms of a poll over 1M sources).
 */
static unsigned int table[XG_PORT_BITS + 1];

/* Before main(): no thread can see the table half filled. */
__attribute__((constructor)) static void table_fill(void)
{
	unsigned int i;

	for (i = 0; i <= XG_PORT_BITS; i++)
		table[i] = estimate(i);
}

/* popcnt where the CPU has it: libgcc's bit loop was ~2% of a poll. */
__attribute__((target_clones("popcnt", "default"))) unsigned int
xg_ports_estimate(const __u64 words[XG_PORT_WORDS])
{
	unsigned int set = 0, i;

	for (i = 0; i < XG_PORT_WORDS; i++)
		set += __builtin_popcountll(words[i]);
	return table[set];
}

unsigned int xg_scan_trip_bits(unsigned int scan_ports)
{
	__u64 w[XG_PORT_WORDS] = {};
	unsigned int b;

	for (b = 1; b <= XG_PORT_BITS; b++) {
		w[(b - 1) / 64] |= 1ULL << ((b - 1) % 64);
		if (xg_ports_estimate(w) >= scan_ports)
			return b;
	}
	return 0;
}
