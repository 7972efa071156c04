// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Strict parsing and printing of addresses, prefixes, durations and numbers. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "parse.h"

/*
 * Reason of the last failure. Per thread so that a parser running in the
 * daemon's worker cannot garble the CLI's message; no locking needed.
 */
static __thread char err_buf[160] = "no error";

static int fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	return err;
}

const char *xg_parse_error(void)
{
	return err_buf;
}

int xg_parse_ifname(const char *s)
{
	size_t n, i;

	if (!s || !*s)
		return fail(-EINVAL, "empty interface name");
	n = strnlen(s, IF_NAMESIZE);
	if (n >= IF_NAMESIZE)
		return fail(-EINVAL, "longer than %d characters",
			    IF_NAMESIZE - 1);
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return fail(-EINVAL, "not an interface name");
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= 0x20 ||
		    s[i] == 0x7f)
			return fail(
				-EINVAL,
				"an interface name has no '/', ':', spaces or control bytes");
	return 0;
}

/* Not isdigit(): that would depend on the locale and on signed chars. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_digit(*s))
			return false;
	return true;
}

static const __u8 v4_mapped_prefix[12] = { 0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff };

bool xg_addr_is_v4(const struct xg_addr *a)
{
	return !memcmp(a->a, v4_mapped_prefix, sizeof(v4_mapped_prefix));
}

/*
 * Parse the address in s[0..n). The family is chosen by the text, not the
 * value: "::ffff:1.2.3.4" is an IPv6 literal (and gets IPv6 prefix lengths)
 * even though it stores the same bytes as "1.2.3.4".
 */
static int parse_addr_n(const char *s, size_t n, struct xg_addr *out,
			bool *is_v4)
{
	char tmp[XG_ADDR_STRLEN];
	struct in_addr in4;

	if (n == 0)
		return fail(-EINVAL, "empty address");
	/* Longer than any valid literal: say so rather than "not valid". */
	if (n >= sizeof(tmp))
		return fail(-EINVAL, "too long (at most %zu characters)",
			    sizeof(tmp) - 1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';

	if (memchr(tmp, ':', n)) {
		/* inet_pton() also refuses scope ids ("fe80::1%eth0"). */
		if (inet_pton(AF_INET6, tmp, out->a) != 1)
			return fail(-EINVAL, "not a valid IPv6 address");
		*is_v4 = false;
		return 0;
	}
	/*
	 * Unlike inet_aton(), inet_pton() wants exactly four decimal parts
	 * without leading zeros, so "1.2.3", "0x7f.1" and "010.0.0.1" (octal
	 * to some tools) are all refused.
	 */
	if (inet_pton(AF_INET, tmp, &in4) != 1)
		return fail(-EINVAL, "not a valid IPv4 address (a.b.c.d)");
	memcpy(out->a, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(out->a + 12, &in4, 4);
	*is_v4 = true;
	return 0;
}

int xg_parse_addr(const char *s, struct xg_addr *out)
{
	struct xg_addr a;
	bool v4;
	int err;

	if (!s)
		return fail(-EINVAL, "empty address");
	/* strnlen(): a huge argument is refused without reading all of it. */
	err = parse_addr_n(s, strnlen(s, XG_ADDR_STRLEN), &a, &v4);
	if (err)
		return err;
	*out = a;
	return 0;
}

/* Clear the bits of a past prefixlen. */
static void mask_addr(__u8 a[16], __u32 prefixlen)
{
	int i;

	for (i = 0; i < 16; i++) {
		int bits = (int)prefixlen - 8 * i;

		if (bits <= 0)
			a[i] = 0;
		else if (bits < 8)
			a[i] &= (__u8)(0xff << (8 - bits));
	}
}

int xg_parse_prefix(const char *s, struct xg_lpm_key *out)
{
	struct xg_lpm_key k;
	struct xg_addr a;
	const char *slash, *p;
	unsigned int len = 0, max;
	bool v4;
	int err;

	if (!s)
		return fail(-EINVAL, "empty address");
	slash = strchr(s, '/');
	err = parse_addr_n(
		s, slash ? (size_t)(slash - s) : strnlen(s, XG_ADDR_STRLEN), &a,
		&v4);
	if (err)
		return err;
	max = v4 ? 32 : 128;

	if (!slash) {
		len = max;
	} else {
		p = slash + 1;
		if (!*p)
			return fail(-EINVAL, "missing prefix length after '/'");
		if (!all_digits(p))
			return fail(
				-EINVAL,
				"prefix length '%.16s' is not a decimal number",
				p);
		/* Saturate: any long digit string is simply out of range. */
		for (; *p; p++) {
			len = len * 10 + (unsigned int)(*p - '0');
			if (len > 1000)
				len = 1000;
		}
		if (len > max) {
			if (len >= 1000)
				return fail(
					-ERANGE,
					"prefix length is out of range 0-%u for %s",
					max, v4 ? "IPv4" : "IPv6");
			return fail(
				-ERANGE,
				"prefix length %u is out of range 0-%u for %s",
				len, max, v4 ? "IPv4" : "IPv6");
		}
	}

	memcpy(k.a, a.a, sizeof(k.a));
	k.prefixlen = v4 ? 96 + len : len;
	mask_addr(k.a, k.prefixlen);
	*out = k;
	return 0;
}

static const struct {
	char unit;
	__u64 secs;
} dur_units[] = {
	/* Largest first: composites must follow this order. */
	{ 'w', 7 * 24 * 3600 },
	{ 'd', 24 * 3600 },
	{ 'h', 3600 },
	{ 'm', 60 },
	{ 's', 1 },
};

#define N_DUR_UNITS (sizeof(dur_units) / sizeof(dur_units[0]))

static int unexpected(char c)
{
	/* Spaces and control bytes are what users paste by accident. */
	if (c > 0x20 && c < 0x7f)
		return fail(-EINVAL, "unexpected '%c'", c);
	return fail(-EINVAL, "unexpected byte 0x%02x", (unsigned char)c);
}

int xg_parse_duration(const char *s, __u64 *out_ns)
{
	/* Anything above the maximum saturates here: no overflow possible. */
	const __u64 over = XG_DURATION_MAX_S + 1;
	const char *p = s, *num, *unit;
	int last = -1, u;
	__u64 total = 0;

	if (!s || !*s)
		return fail(-EINVAL, "empty duration");
	if (!strcmp(s, "never") || !strcmp(s, "permanent")) {
		*out_ns = 0;
		return 0;
	}

	while (*p) {
		__u64 val = 0, term;

		num = p;
		for (; is_digit(*p); p++) {
			val = val * 10 + (__u64)(*p - '0');
			if (val > over)
				val = over;
		}
		if (p == num) {
			if (is_alpha(*p) && p == s)
				return fail(
					-EINVAL,
					"not a duration (e.g. 30s, 10m, 1h30m, 1d, never)");
			return unexpected(*p);
		}

		unit = p;
		while (is_alpha(*p))
			p++;
		if (p == unit) {
			if (*p)
				return unexpected(*p);
			/* A bare number is seconds, but only on its own. */
			if (num != s)
				return fail(
					-EINVAL,
					"missing unit after '%.*s' (s, m, h, d or w)",
					(int)(p - num > 20 ? 20 : p - num),
					num);
			u = N_DUR_UNITS - 1;
		} else {
			for (u = 0; u < (int)N_DUR_UNITS; u++)
				if (p - unit == 1 && *unit == dur_units[u].unit)
					break;
			if (u == (int)N_DUR_UNITS)
				return fail(
					-EINVAL,
					"unknown unit '%.*s' (use s, m, h, d or w)",
					(int)(p - unit > 8 ? 8 : p - unit),
					unit);
		}
		/* "30m1h" or "1h1h" is more likely a typo than intended. */
		if (u <= last)
			return fail(
				-EINVAL,
				"units must go from largest to smallest, each once");
		last = u;

		term = val > over / dur_units[u].secs ? over :
							val * dur_units[u].secs;
		total = total + term > over ? over : total + term;
	}

	if (total == 0)
		return fail(-ERANGE,
			    "must be positive (use 'never' for no expiry)");
	if (total > XG_DURATION_MAX_S)
		return fail(-ERANGE, "longer than the maximum of 10 years");
	*out_ns = total * XG_NSEC_PER_SEC;
	return 0;
}

int xg_parse_u64(const char *s, __u64 min, __u64 max, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return fail(-EINVAL, "empty number");
	/*
	 * strtoull() alone would skip spaces, take a sign (and negate "-1"
	 * into a huge value) and stop quietly at junk: check the text first.
	 */
	if (!all_digits(s))
		return fail(-EINVAL, "not a plain decimal number");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return fail(-ERANGE, "out of range %llu-%llu",
			    (unsigned long long)min, (unsigned long long)max);
	if (v < min || v > max)
		return fail(-ERANGE, "%llu is out of range %llu-%llu", v,
			    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* [-]digits[.digits][(e|E)[+|-]digits], nothing else. */
static bool is_decimal_float(const char *p)
{
	if (*p == '-')
		p++;
	if (!is_digit(*p))
		return false;
	while (is_digit(*p))
		p++;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return false;
		while (is_digit(*p))
			p++;
	}
	return !*p;
}

int xg_parse_double(const char *s, double min, double max, double *out)
{
	double v;

	if (!s || !*s)
		return fail(-EINVAL, "empty number");
	/* strtod() would also take spaces, '+', hex, "inf" and "nan". */
	if (!is_decimal_float(s))
		return fail(-EINVAL, "not a decimal number");
	/* xdpguard never calls setlocale(), so the decimal point is '.'. */
	v = strtod(s, NULL);
	/*
	 * errno is not consulted: overflow shows as an infinity, and an
	 * underflow (ERANGE, v tiny or 0) is finite and left to the range.
	 */
	if (!isfinite(v))
		return fail(-ERANGE, "out of range %g to %g", min, max);
	if (!(v >= min && v <= max))
		return fail(-ERANGE, "%g is out of range %g to %g", v, min,
			    max);
	/* No "-0" leaking into output or comparisons by sign bit. */
	if (v == 0)
		v = 0.0;
	*out = v;
	return 0;
}

const char *xg_addr_str(const struct xg_addr *a, char *buf, size_t len)
{
	char tmp[XG_ADDR_STRLEN];

	if (!buf || !len)
		return NULL;
	if (xg_addr_is_v4(a))
		snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", a->a[12], a->a[13],
			 a->a[14], a->a[15]);
	else if (!inet_ntop(AF_INET6, a->a, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "?"); /* cannot happen: 46 bytes */
	snprintf(buf, len, "%s", tmp);
	return buf;
}

const char *xg_prefix_str(const struct xg_lpm_key *k, char *buf, size_t len)
{
	char tmp[XG_ADDR_STRLEN];
	struct xg_addr a;
	__u32 plen = k->prefixlen;

	if (!buf || !len)
		return NULL;
	memcpy(a.a, k->a, sizeof(a.a));
	/* Below /96 the mapped bits are not all in the prefix: show IPv6. */
	if (plen >= 96 && plen <= 128 && xg_addr_is_v4(&a)) {
		xg_addr_str(&a, tmp, sizeof(tmp));
		snprintf(buf, len, "%s/%u", tmp, plen - 96);
	} else {
		if (!inet_ntop(AF_INET6, a.a, tmp, sizeof(tmp)))
			snprintf(tmp, sizeof(tmp), "?");
		snprintf(buf, len, "%s/%u", tmp, plen);
	}
	return buf;
}

int xg_prefix_contains(const struct xg_lpm_key *k, const struct xg_addr *a)
{
	__u32 plen = k->prefixlen, full = plen / 8, rest = plen % 8;
	__u8 mask;

	if (plen > 128)
		return 0;
	if (memcmp(k->a, a->a, full))
		return 0;
	if (!rest)
		return 1;
	mask = (__u8)(0xff << (8 - rest));
	return (k->a[full] & mask) == (a->a[full] & mask);
}

const char *xg_duration_str(__u64 ns, char *buf, size_t len)
{
	static const struct {
		char unit;
		__u64 secs;
	} parts[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	char tmp[XG_DURATION_STRLEN];
	__u64 secs;
	size_t i, pos = 0;

	if (!buf || !len)
		return NULL;
	if (!ns) {
		snprintf(buf, len, "never");
		return buf;
	}
	/* Round up: a ban with 0.3 s left is still in force, not "0s". */
	secs = ns / XG_NSEC_PER_SEC + (ns % XG_NSEC_PER_SEC != 0);
	/* Days, not weeks: "9d" reads faster than "1w2d". */
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		__u64 n = secs / parts[i].secs;

		secs %= parts[i].secs;
		if (n)
			pos += snprintf(tmp + pos, sizeof(tmp) - pos, "%llu%c",
					(unsigned long long)n, parts[i].unit);
	}
	snprintf(buf, len, "%s", tmp);
	return buf;
}
