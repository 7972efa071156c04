/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Ban and allow entries in the kernel maps, shared by the daemon and CLI. */
#ifndef XG_BANS_H
#define XG_BANS_H

#include <stdbool.h>
#include <stddef.h>
#include "xdpguard.h"

struct xg_ban_entry {
	struct xg_addr addr;
	struct xg_ban ban;
};

struct xg_allow_entry {
	struct xg_lpm_key prefix;
	struct xg_allow allow;
};

const char *xg_reason_name(__u32 reason);
/* Inverse of xg_reason_name; -EINVAL for an unknown name. */
int xg_reason_parse(const char *s, __u32 *reason);

/* ttl_ns 0 = never expires. Replaces an existing ban of the address. */
int xg_ban_add(int fd, const struct xg_addr *a, __u64 ttl_ns, __u32 reason,
	       __u32 repeat);
/* -ENOENT when the address was not banned. */
int xg_ban_del(int fd, const struct xg_addr *a);
int xg_ban_list(int fd, struct xg_ban_entry **out, size_t *n);
/* True if the ban is in force at monotonic time now. */
bool xg_ban_live(const struct xg_ban *b, __u64 now);
/* Seconds until expiry (rounded up), or -1 for a permanent ban. */
long long xg_ban_expires_in(const struct xg_ban *b, __u64 now);

typedef void (*xg_unban_fn)(const struct xg_ban_entry *e, void *ctx);
/*
 * Deletes bans that expired before now, calling fn for each; returns count.
 * Calls unconfirmed (if not NULL) for each live ban the XDP program made on
 * its own (repeat 0), which the daemon has yet to report.
 */
int xg_ban_sweep(int fd, __u64 now, xg_unban_fn fn, xg_unban_fn unconfirmed,
		 void *ctx);

int xg_allow_add(int fd, const struct xg_lpm_key *k);
int xg_allow_del(int fd, const struct xg_lpm_key *k);
int xg_allow_list(int fd, struct xg_allow_entry **out, size_t *n);
/* Longest-prefix match, as the XDP program does it. */
bool xg_allow_match(int fd, const struct xg_addr *a);

#endif /* XG_BANS_H */
