/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Strict parsing and printing of addresses, prefixes, durations and numbers. */
#ifndef XG_PARSE_H
#define XG_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "xdpguard.h"

/* Longest printed address (INET6_ADDRSTRLEN) and prefix ("/128"), with NUL. */
#define XG_ADDR_STRLEN 46
#define XG_PREFIX_STRLEN (XG_ADDR_STRLEN + 4)
/* Enough for any __u64 of nanoseconds: "213503d23h34m34s". */
#define XG_DURATION_STRLEN 32

/*
 * Longest accepted duration: a ban longer than this is almost certainly a
 * typo (and 10 years of nanoseconds stays far from __u64 overflow when added
 * to a monotonic clock). "never" is the way to ask for no expiry.
 */
#define XG_DURATION_MAX_S (10ULL * 365 * 24 * 3600)
#define XG_NSEC_PER_SEC 1000000000ULL

/*
 * All parsers return 0 or a negative errno (-EINVAL malformed, -ERANGE out
 * of range), never print, and leave *out untouched on failure. The reason of
 * the last failure is then in xg_parse_error(), for the caller to print as
 * "invalid address 'X': <reason>". The buffer behind it is per thread and
 * overwritten by the next failure.
 */
const char *xg_parse_error(void);

/*
 * A network interface name as the kernel accepts one (dev_valid_name()):
 * 1 to 15 bytes, not "." or "..", no '/', ':' or white space. Checks the
 * text only; whether the interface exists is the caller's question.
 */
int xg_parse_ifname(const char *s);

/* IPv4 dotted quad (stored IPv4-mapped) or IPv6, as strict as inet_pton(). */
int xg_parse_addr(const char *s, struct xg_addr *out);

/*
 * "addr" (a host: /32 or /128) or "addr/len", len in decimal digits only.
 * IPv4 /n becomes prefixlen 96 + n. Host bits past the length are cleared,
 * as iptables does, so equal networks give equal keys.
 */
int xg_parse_prefix(const char *s, struct xg_lpm_key *out);

/*
 * "30s", "10m", "2h", "1d", "1w", or several of them from largest unit to
 * smallest ("1h30m"); a bare integer means seconds. "never" and "permanent"
 * give 0, meaning no expiry. Anything else must be positive and at most
 * XG_DURATION_MAX_S.
 */
int xg_parse_duration(const char *s, __u64 *out_ns);

/* Plain decimal digits (no sign, no space, no hex) within [min, max]. */
int xg_parse_u64(const char *s, __u64 min, __u64 max, __u64 *out);

/*
 * Decimal with optional '-', fraction and exponent ("0.5", "-2", "1e3");
 * no leading '+', space, hex, "inf" or "nan". Finite and within [min, max].
 */
int xg_parse_double(const char *s, double min, double max, double *out);

/* True for an IPv4-mapped address (::ffff:0:0/96). */
bool xg_addr_is_v4(const struct xg_addr *a);

/*
 * Print "1.2.3.4" for a mapped IPv4 address, canonical IPv6 otherwise.
 * Output longer than len is truncated; returns buf (NULL if buf is NULL or
 * len is 0).
 */
const char *xg_addr_str(const struct xg_addr *a, char *buf, size_t len);

/* "10.0.0.0/8", "2001:db8::/32", "1.2.3.4/32": always with the length. */
const char *xg_prefix_str(const struct xg_lpm_key *k, char *buf, size_t len);

/* 1 if a lies inside prefix k, else 0 (also for prefixlen > 128). */
int xg_prefix_contains(const struct xg_lpm_key *k, const struct xg_addr *a);

/*
 * Compact duration: "45s", "10m", "1h30m", "2d3h"; 0 prints "never".
 * Sub-second remainders round up, so time left is never shown as "0s".
 * The output of a whole number of seconds parses back to the same value.
 */
const char *xg_duration_str(__u64 ns, char *buf, size_t len);

#endif /* XG_PARSE_H */
