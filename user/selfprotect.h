/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Self-protection: the addresses the daemon must never ban (its own, the
 * default gateways', the SSH peer that started it), kept in the allowlist
 * with XG_ALLOW_F_SELF so that an attacker spoofing them cannot get the
 * owner cut off.
 */
#ifndef XG_SELFPROTECT_H
#define XG_SELFPROTECT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/netlink.h>
#include "xdpguard.h"

enum xg_self_kind { XG_SELF_LOCAL, XG_SELF_GATEWAY, XG_SELF_SSH };

struct xg_self_addr {
	struct xg_addr addr;
	enum xg_self_kind kind;
};

struct xg_self_set {
	struct xg_self_addr *a;
	size_t n, cap;
};

const char *xg_self_kind_name(enum xg_self_kind kind);

/* Adds an address once (a second add of the same address is a no-op). */
int xg_self_add(struct xg_self_set *s, const struct xg_addr *a,
		enum xg_self_kind kind);
void xg_self_free(struct xg_self_set *s);

/*
 * The client address in $SSH_CONNECTION ("client port server port") or
 * $SSH_CLIENT ("client port port"); a scope ("fe80::1%eth0") is dropped.
 * -EINVAL if the text holds no address.
 */
int xg_self_parse_ssh(const char *env, struct xg_addr *out);

/*
 * The gateways of one RTM_NEWROUTE message if it is a default route
 * (destination length 0, unicast): RTA_GATEWAY, RTA_VIA and each hop of
 * RTA_MULTIPATH. Pure, for tests.
 */
int xg_self_parse_route(const struct nlmsghdr *nlh, struct xg_self_set *s);

/* Every local interface address, default gateway and the SSH peer. */
int xg_self_collect(struct xg_self_set *s);

/*
 * Makes the XG_ALLOW_F_SELF entries of the allowlist equal to s: adds what
 * is missing (an entry the operator added stays theirs), removes self
 * entries no longer in s. With s empty it removes them all, as
 * --no-self-protect wants. Returns the number of entries added.
 */
int xg_self_sync(int allow_fd, const struct xg_self_set *s);

/*
 * At start: collect and sync (or with enable false, remove every self
 * entry), reporting what was protected. Called again, it refreshes at most
 * every 30 s, as addresses come and go.
 */
int xg_self_protect(int allow_fd, bool enable, __u64 now_ns);

#endif /* XG_SELFPROTECT_H */
