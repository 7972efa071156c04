/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The source table (src_stats, struct xg_src_bucket) mapped into user
 * space: read in place, no syscall per entry. Writers: the XDP program
 * (counts, claims slots) and the daemon (frees idle slots, maps.c). Tests
 * find one source with xg_src_way().
 */
#ifndef XG_SRCTAB_H
#define XG_SRCTAB_H

#include <stdbool.h>
#include <stddef.h>

#include "xdpguard.h"

struct xg_srctab {
	struct xg_src_bucket *b;
	__u32 nb; /* buckets: a power of two */
	size_t len; /* of the mapping */
	bool copy; /* a copy (read-only fds cannot be mapped) */
};

/*
 * Maps the table of fd (read-write if rw); a read-only fd gets a copy.
 * 0 or -errno; prints nothing.
 */
int xg_srctab_map(struct xg_srctab *t, int fd, bool rw);
void xg_srctab_unmap(struct xg_srctab *t);

/* Slots in use. */
__u32 xg_srctab_count(const struct xg_srctab *t);
/* Slots in all. */
static inline __u32 xg_srctab_slots(const struct xg_srctab *t)
{
	return t->nb * XG_SRC_WAYS;
}

#endif /* XG_SRCTAB_H */
