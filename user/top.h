/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `xdpguard top` on a terminal: the full-screen live view (ncurses). */
#ifndef XG_TOP_H
#define XG_TOP_H

#include "maps.h"
#include "statsview.h"

/* "pps", "syn", "icmp", "ports", "bps" to a sort key; -EINVAL otherwise. */
int xg_top_sort_parse(const char *s, enum xg_src_key *k);

/*
 * Redraws every interval seconds until 'q' (or count screens, when not 0).
 * Keys: p pps, s SYN/s, i ICMP/s, d distinct ports, b bits/s, q quit.
 */
int xg_top_run(const struct xg_maps *m, double interval, enum xg_src_key sort,
	       __u64 count);

/* 1234567 -> "1.23M": three significant digits and an SI suffix. */
const char *xg_si_str(double v, char *buf, size_t len);

#endif /* XG_TOP_H */
