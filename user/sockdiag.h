/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Established TCP connections per remote address, from NETLINK_SOCK_DIAG
 * (as `ss -t state established` reads them), for the conn_max check.
 */
#ifndef XG_SOCKDIAG_H
#define XG_SOCKDIAG_H

#include <stddef.h>

#include "detect.h"

/*
 * Counts the ESTABLISHED TCP sockets (IPv4 and IPv6) of the current network
 * namespace per remote address; IPv4 peers come out IPv4-mapped. *out is
 * sorted by address and malloc'd (NULL when *n is 0); the caller frees it.
 * Returns 0 or -errno, leaving *out and *n untouched on error.
 */
int xg_sockdiag_count(struct xg_conn_count **out, size_t *n);

#endif /* XG_SOCKDIAG_H */
