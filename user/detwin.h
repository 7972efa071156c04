/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The detector's sliding windows (user/detect.c): rings of XG_SLOTS slots
 * over one window each, fed per-poll deltas and summed over (now - W, now].
 * See detwin.c for their resolution. detwin.c also holds detect.h's
 * xg_ports_estimate() and xg_scan_trip_bits().
 */
#ifndef XG_DETWIN_H
#define XG_DETWIN_H

#include <linux/types.h>

#define XG_SLOTS 16

/* A ring of slots over one window; the counters live beside it. */
struct xg_ring {
	__u64 head; /* absolute slot index (t / width) of the newest slot */
	__u32 first_us[XG_SLOTS]; /* first delta, us after its slot began */
};

/* The window state of an active source. */
struct xg_win {
	struct xg_ring syn_r, icmp_r, conn_r;
	__u32 syn[XG_SLOTS], pkts[XG_SLOTS]; /* over syn_window */
	__u32 icmp[XG_SLOTS]; /* over icmp_window */
	__u32 conn[XG_SLOTS]; /* SYNs over conn_window */
};

/* Slot widths of the three windows of a struct xg_win. */
struct xg_win_widths {
	__u64 syn, icmp, conn;
};

static inline __u32 xg_sat32(__u64 v)
{
	return v < 0xffffffffU ? v : 0xffffffffU;
}

/* The slot width of a window win long: ceil(win / (XG_SLOTS - 1)). */
__u64 xg_slot_width(__u64 win);

/*
 * Where one instant falls for one window: the same for every source of a
 * poll, so a poll works it out once per window instead of in each of the
 * four ring sums per source (two 64-bit divisions each).
 */
struct xg_win_at {
	__u64 idx; /* now / width: the slot now falls in */
	__u32 first_us; /* how far into it, in us (rounded down) */
	__u64 ib, ob; /* (now - win) / width, (now - win) % width */
	int whole; /* now >= win: the window lies wholly after 0 */
};

struct xg_win_now {
	struct xg_win_at syn, icmp, conn;
};

void xg_win_at_set(struct xg_win_at *a, __u64 width, __u64 win, __u64 now);

unsigned int xg_ring_slot(struct xg_ring *r, __u32 *const vals[], int nv,
			  const struct xg_win_at *a);

/* The sum of v over the window a ends, at the resolution of detwin.c. */
static inline __u64 xg_ring_sum(const struct xg_ring *r, const __u32 *v,
				const struct xg_win_at *a)
{
	__u64 sum = 0, s;
	unsigned int k;

	for (k = 0; k < XG_SLOTS && k <= r->head; k++) {
		s = r->head - k;
		if (s < a->ib)
			break;
		if (s == a->ib && a->whole &&
		    (__u64)r->first_us[s % XG_SLOTS] * 1000 <= a->ob)
			break;
		sum += v[s % XG_SLOTS];
	}
	return sum;
}

void xg_win_add(struct xg_win *w, const struct xg_win_now *at, __u32 syns,
		__u32 pkts, __u32 icmp);

#endif /* XG_DETWIN_H */
