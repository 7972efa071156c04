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
 * Makes the slot of now the ring's newest, clearing those it passes over
 * in each of the nv counter arrays vals; returns that slot.
 */
unsigned int xg_ring_slot(struct xg_ring *r, __u32 *const vals[], int nv,
			  __u64 width, __u64 now);

/* Sum of v over the polls at t with now - win < t <= now. */
__u64 xg_ring_sum(const struct xg_ring *r, const __u32 *v, __u64 width,
		  __u64 win, __u64 now);

/* Adds one poll's deltas to w's windows. */
void xg_win_add(struct xg_win *w, const struct xg_win_widths *wd, __u64 now,
		__u32 syns, __u32 pkts, __u32 icmp);

#endif /* XG_DETWIN_H */
