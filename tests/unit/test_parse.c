// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Table tests for the strict parsers and printers of user/parse.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"

#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#define NS(s) ((__u64)(s)*1000000000ULL)

/*
 * Expected addresses come from inet_pton() on an IPv6 spelling, not from
 * the code under test, so a bug in xg_parse_addr() cannot hide itself.
 */
static struct xg_addr v6(const char *s)
{
	struct xg_addr a;

	if (inet_pton(AF_INET6, s, a.a) != 1)
		fail_msg("bad expected address in table: '%s'", s);
	return a;
}

static void check_err(const char *in, int got, int want)
{
	if (got != want)
		fail_msg("'%s': returned %d, want %d (reason: %s)", in, got,
			 want, xg_parse_error());
}

static void check_reason(const char *in, const char *want_substr)
{
	if (want_substr && !strstr(xg_parse_error(), want_substr))
		fail_msg("'%s': reason '%s' lacks '%s'", in, xg_parse_error(),
			 want_substr);
}

/* ---- addresses ---- */

static const struct {
	const char *in;
	const char *want; /* IPv6 spelling of the stored bytes */
	const char *str; /* what xg_addr_str() prints */
} addr_ok[] = {
	{ "1.2.3.4", "::ffff:1.2.3.4", "1.2.3.4" },
	{ "0.0.0.0", "::ffff:0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "::ffff:255.255.255.255", "255.255.255.255" },
	{ "10.0.0.1", "::ffff:10.0.0.1", "10.0.0.1" },
	{ "::", "::", "::" },
	{ "::1", "::1", "::1" },
	{ "2001:db8::1", "2001:db8::1", "2001:db8::1" },
	{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1", "2001:db8::1" },
	{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
	{ "fe80::1", "fe80::1", "fe80::1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	/* A mapped IPv6 literal is the same bytes, so prints as IPv4. */
	{ "::ffff:1.2.3.4", "::ffff:1.2.3.4", "1.2.3.4" },
	{ "::ffff:0102:0304", "::ffff:1.2.3.4", "1.2.3.4" },
	{ "::ffff:0.0.0.0", "::ffff:0.0.0.0", "0.0.0.0" },
	/* NAT64 and IPv4-compatible addresses are not IPv4. */
	{ "64:ff9b::1.2.3.4", "64:ff9b::102:304", "64:ff9b::102:304" },
	{ "::fffe:1.2.3.4", "::fffe:102:304", "::fffe:102:304" },
	/* 45 characters: the longest literal there is. */
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.255",
	  "::ffff:255.255.255.255", "255.255.255.255" },
};

static void test_addr_valid(void **state)
{
	char buf[XG_ADDR_STRLEN];
	struct xg_addr a, want;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(addr_ok); i++) {
		memset(&a, 0xaa, sizeof(a));
		check_err(addr_ok[i].in, xg_parse_addr(addr_ok[i].in, &a), 0);
		want = v6(addr_ok[i].want);
		if (memcmp(&a, &want, sizeof(a)))
			fail_msg("'%s': wrong bytes", addr_ok[i].in);
		assert_ptr_equal(xg_addr_str(&a, buf, sizeof(buf)), buf);
		assert_string_equal(buf, addr_ok[i].str);
		/* Printed form parses back to the same bytes. */
		memset(&want, 0x55, sizeof(want));
		check_err(buf, xg_parse_addr(buf, &want), 0);
		assert_memory_equal(&a, &want, sizeof(a));
	}
}

static const struct {
	const char *in;
	const char *reason;
} addr_bad[] = {
	{ "", "empty" },
	{ "1.2.3", "IPv4" },
	{ "1.2.3.4.5", "IPv4" },
	{ "256.0.0.1", "IPv4" },
	{ "1.2.3.256", "IPv4" },
	{ "1.2.3.-1", "IPv4" },
	{ "01.2.3.4", "IPv4" },
	{ "1.2.3.04", "IPv4" },
	{ "0x7f.0.0.1", "IPv4" },
	{ "127.1", "IPv4" },
	{ "1.2.3.", "IPv4" },
	{ ".1.2.3", "IPv4" },
	{ "1..2.3", "IPv4" },
	{ " 1.2.3.4", "IPv4" },
	{ "1.2.3.4 ", "IPv4" },
	{ "1.2.3.4\n", "IPv4" },
	{ "1.2.3.4\t", "IPv4" },
	{ "+1.2.3.4", "IPv4" },
	{ "-1.2.3.4", "IPv4" },
	{ "1.2.3.4x", "IPv4" },
	{ "1.2.3.4/32", "IPv4" },
	{ "localhost", "IPv4" },
	{ ":::", "IPv6" },
	{ "1::2::3", "IPv6" },
	{ "2001:db8::g", "IPv6" },
	{ "12345::", "IPv6" },
	{ "1:2:3:4:5:6:7:8:9", "IPv6" },
	{ "1:2:3:4:5:6:7", "IPv6" },
	{ "fe80::1%eth0", "IPv6" },
	{ "[::1]", "IPv6" },
	{ "::1 ", "IPv6" },
	{ " ::1", "IPv6" },
	{ "::1/128", "IPv6" },
	{ "::ffff:1.2.3", "IPv6" },
	{ "::ffff:1.2.3.4.5", "IPv6" },
	/* 46 characters: one more than any valid literal. */
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.2555", "too long" },
	{ "00000:0000:0000:0000:0000:ffff:255.255.255.255", "too long" },
};

static void test_addr_invalid(void **state)
{
	struct xg_addr a, before;
	size_t i;

	(void)state;
	memset(&before, 0x5a, sizeof(before));
	for (i = 0; i < ARRAY_SIZE(addr_bad); i++) {
		a = before;
		check_err(addr_bad[i].in, xg_parse_addr(addr_bad[i].in, &a),
			  -EINVAL);
		check_reason(addr_bad[i].in, addr_bad[i].reason);
		/* Failure leaves the output alone. */
		assert_memory_equal(&a, &before, sizeof(a));
	}
	assert_int_equal(xg_parse_addr(NULL, &a), -EINVAL);
}

static void test_addr_overlong(void **state)
{
	size_t n = 100000;
	char *s = malloc(n + 1);
	struct xg_addr a;

	(void)state;
	assert_non_null(s);
	memset(s, '1', n);
	s[n] = '\0';
	assert_int_equal(xg_parse_addr(s, &a), -EINVAL);
	check_reason("1111...", "too long");
	/* A valid address followed by a long run of junk. */
	memset(s, ' ', n);
	memcpy(s, "1.2.3.4", 7);
	assert_int_equal(xg_parse_addr(s, &a), -EINVAL);
	memcpy(s, "::1", 3);
	memset(s + 3, '0', n - 3);
	assert_int_equal(xg_parse_addr(s, &a), -EINVAL);
	free(s);
}

static void test_addr_is_v4(void **state)
{
	static const struct {
		const char *a;
		bool v4;
	} t[] = {
		{ "::ffff:1.2.3.4", true },
		{ "::ffff:0.0.0.0", true },
		{ "::ffff:255.255.255.255", true },
		{ "::", false },
		{ "::1", false },
		{ "::1.2.3.4", false },
		{ "::fffe:1.2.3.4", false },
		{ "::1:ffff:1.2.3.4", false },
		{ "1::ffff:1.2.3.4", false },
		{ "::7fff:1.2.3.4", false },
		{ "2001:db8::1", false },
	};
	struct xg_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		a = v6(t[i].a);
		if (xg_addr_is_v4(&a) != t[i].v4)
			fail_msg("'%s': is_v4 %d, want %d", t[i].a,
				 xg_addr_is_v4(&a), t[i].v4);
	}
}

static void test_addr_str_small_buffer(void **state)
{
	struct xg_addr a = v6("::ffff:255.255.255.255");
	struct xg_addr b = v6("2001:db8::1");
	char buf[XG_ADDR_STRLEN];

	(void)state;
	assert_string_equal(xg_addr_str(&a, buf, 8), "255.255");
	assert_string_equal(xg_addr_str(&b, buf, 5), "2001");
	assert_string_equal(xg_addr_str(&a, buf, 1), "");
	assert_null(xg_addr_str(&a, buf, 0));
	assert_null(xg_addr_str(&a, NULL, 10));
	/* The longest form fits XG_ADDR_STRLEN exactly. */
	b = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_string_equal(xg_addr_str(&b, buf, sizeof(buf)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	b = v6("1111:2222:3333:4444:5555:6666:7.8.9.10");
	assert_string_equal(xg_addr_str(&b, buf, sizeof(buf)),
			    "1111:2222:3333:4444:5555:6666:708:90a");
}

/* ---- prefixes ---- */

static const struct {
	const char *in;
	__u32 plen;
	const char *want; /* IPv6 spelling of the masked bytes */
	const char *str;
} prefix_ok[] = {
	{ "10.0.0.0/8", 104, "::ffff:10.0.0.0", "10.0.0.0/8" },
	{ "1.2.3.4", 128, "::ffff:1.2.3.4", "1.2.3.4/32" },
	{ "1.2.3.4/32", 128, "::ffff:1.2.3.4", "1.2.3.4/32" },
	{ "1.2.3.4/0", 96, "::ffff:0.0.0.0", "0.0.0.0/0" },
	{ "0.0.0.0/0", 96, "::ffff:0.0.0.0", "0.0.0.0/0" },
	{ "10.0.0.0/08", 104, "::ffff:10.0.0.0", "10.0.0.0/8" },
	{ "10.0.0.0/000000000000000000000008", 104, "::ffff:10.0.0.0",
	  "10.0.0.0/8" },
	/* Host bits are cleared, as iptables does. */
	{ "10.1.2.3/8", 104, "::ffff:10.0.0.0", "10.0.0.0/8" },
	{ "255.255.255.255/1", 97, "::ffff:128.0.0.0", "128.0.0.0/1" },
	{ "255.255.255.255/31", 127, "::ffff:255.255.255.254",
	  "255.255.255.254/31" },
	{ "192.168.1.77/28", 124, "::ffff:192.168.1.64", "192.168.1.64/28" },
	{ "172.31.255.255/12", 108, "::ffff:172.16.0.0", "172.16.0.0/12" },
	{ "1.2.3.4/23", 119, "::ffff:1.2.2.0", "1.2.2.0/23" },
	{ "::/0", 0, "::", "::/0" },
	{ "::1", 128, "::1", "::1/128" },
	{ "::1/128", 128, "::1", "::1/128" },
	{ "2001:db8::/32", 32, "2001:db8::", "2001:db8::/32" },
	{ "2001:db8:abcd:1234::1/48", 48,
	  "2001:db8:abcd::", "2001:db8:abcd::/48" },
	{ "2001:db8::1/127", 127, "2001:db8::", "2001:db8::/127" },
	{ "2001:db8::ff/121", 121, "2001:db8::80", "2001:db8::80/121" },
	{ "fe80::1/10", 10, "fe80::", "fe80::/10" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/1", 1,
	  "8000::", "8000::/1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127", 127,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127" },
	/* A mapped IPv6 literal takes IPv6 lengths, and prints as IPv4. */
	{ "::ffff:1.2.3.4/120", 120, "::ffff:1.2.3.0", "1.2.3.0/24" },
	{ "::ffff:1.2.3.4", 128, "::ffff:1.2.3.4", "1.2.3.4/32" },
	{ "::ffff:1.2.3.4/96", 96, "::ffff:0.0.0.0", "0.0.0.0/0" },
	{ "::ffff:1.2.3.4/95", 95, "::fffe:0:0", "::fffe:0:0/95" },
	{ "::ffff:0:0/96", 96, "::ffff:0.0.0.0", "0.0.0.0/0" },
};

static void test_prefix_valid(void **state)
{
	char buf[XG_PREFIX_STRLEN];
	struct xg_lpm_key k, k2;
	struct xg_addr want;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(prefix_ok); i++) {
		const char *in = prefix_ok[i].in;

		memset(&k, 0xaa, sizeof(k));
		check_err(in, xg_parse_prefix(in, &k), 0);
		if (k.prefixlen != prefix_ok[i].plen)
			fail_msg("'%s': prefixlen %u, want %u", in, k.prefixlen,
				 prefix_ok[i].plen);
		want = v6(prefix_ok[i].want);
		if (memcmp(k.a, want.a, 16))
			fail_msg("'%s': wrong masked bytes", in);
		assert_ptr_equal(xg_prefix_str(&k, buf, sizeof(buf)), buf);
		if (strcmp(buf, prefix_ok[i].str))
			fail_msg("'%s': printed '%s', want '%s'", in, buf,
				 prefix_ok[i].str);
		/* Round trip: the printed form gives the very same key. */
		memset(&k2, 0x55, sizeof(k2));
		check_err(buf, xg_parse_prefix(buf, &k2), 0);
		assert_memory_equal(&k, &k2, sizeof(k));
	}
}

static const struct {
	const char *in;
	int err;
	const char *reason;
} prefix_bad[] = {
	{ "1.2.3.4/33", -ERANGE,
	  "prefix length 33 is out of range 0-32 for IPv4" },
	{ "1.2.3.4/128", -ERANGE,
	  "prefix length 128 is out of range 0-32 for IPv4" },
	{ "::/129", -ERANGE,
	  "prefix length 129 is out of range 0-128 for IPv6" },
	{ "::ffff:1.2.3.4/129", -ERANGE, "0-128 for IPv6" },
	{ "1.2.3.4/999", -ERANGE, "out of range 0-32" },
	{ "1.2.3.4/99999999999999999999999999", -ERANGE, "out of range 0-32" },
	/* 2^32 + 8 and 2^64 + 8: no wrapping back into range. */
	{ "1.2.3.4/4294967304", -ERANGE, "out of range 0-32" },
	{ "::/18446744073709551624", -ERANGE, "out of range 0-128" },
	{ "1.2.3.4/", -EINVAL, "missing prefix length" },
	{ "::/", -EINVAL, "missing prefix length" },
	{ "1.2.3.4/-1", -EINVAL, "not a decimal number" },
	{ "1.2.3.4/+8", -EINVAL, "not a decimal number" },
	{ "1.2.3.4/ 8", -EINVAL, "not a decimal number" },
	{ "1.2.3.4/8 ", -EINVAL, "not a decimal number" },
	{ "1.2.3.4/8\n", -EINVAL, "not a decimal number" },
	{ "1.2.3.4//8", -EINVAL, "not a decimal number" },
	{ "1.2.3.4/8/8", -EINVAL, "not a decimal number" },
	{ "1.2.3.4/8x", -EINVAL, "not a decimal number" },
	{ "1.2.3.4/0x8", -EINVAL, "not a decimal number" },
	{ "1.2.3.4/8.0", -EINVAL, "not a decimal number" },
	{ "10.0.0.0/1e1", -EINVAL, "not a decimal number" },
	{ "2001:db8::/3 2", -EINVAL, "not a decimal number" },
	{ "1.2.3.4 /8", -EINVAL, "IPv4" },
	{ " 1.2.3.4/8", -EINVAL, "IPv4" },
	{ "1.2.3/24", -EINVAL, "IPv4" },
	{ "10/8", -EINVAL, "IPv4" },
	{ "fe80::1%eth0/64", -EINVAL, "IPv6" },
	{ "[::1]/128", -EINVAL, "IPv6" },
	{ "/8", -EINVAL, "empty address" },
	{ "/", -EINVAL, "empty address" },
	{ "", -EINVAL, "empty address" },
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.2555/8", -EINVAL,
	  "too long" },
};

static void test_prefix_invalid(void **state)
{
	struct xg_lpm_key k, before;
	size_t i;

	(void)state;
	memset(&before, 0x5a, sizeof(before));
	for (i = 0; i < ARRAY_SIZE(prefix_bad); i++) {
		k = before;
		check_err(prefix_bad[i].in,
			  xg_parse_prefix(prefix_bad[i].in, &k),
			  prefix_bad[i].err);
		check_reason(prefix_bad[i].in, prefix_bad[i].reason);
		assert_memory_equal(&k, &before, sizeof(k));
	}
	assert_int_equal(xg_parse_prefix(NULL, &k), -EINVAL);
}

/* The exact message the CLI shows after "invalid address 'X': ". */
static void test_prefix_error_message(void **state)
{
	struct xg_lpm_key k;

	(void)state;
	assert_int_equal(xg_parse_prefix("10.0.0.0/33", &k), -ERANGE);
	assert_string_equal(xg_parse_error(),
			    "prefix length 33 is out of range 0-32 for IPv4");
	assert_int_equal(xg_parse_prefix("2001:db8::/129", &k), -ERANGE);
	assert_string_equal(xg_parse_error(),
			    "prefix length 129 is out of range 0-128 for IPv6");
}

static int popcount16(const __u8 a[16])
{
	int i, n = 0;

	for (i = 0; i < 16; i++)
		n += __builtin_popcount(a[i]);
	return n;
}

/* Every length 0..32 and 0..128 on an all-ones address, and one past. */
static void test_prefix_every_length(void **state)
{
	char in[64], want[64], buf[XG_PREFIX_STRLEN];
	struct xg_lpm_key k;
	int len;

	(void)state;
	for (len = 0; len <= 33; len++) {
		snprintf(in, sizeof(in), "255.255.255.255/%d", len);
		if (len == 33) {
			check_err(in, xg_parse_prefix(in, &k), -ERANGE);
			break;
		}
		check_err(in, xg_parse_prefix(in, &k), 0);
		assert_int_equal(k.prefixlen, 96 + len);
		/* The ::ffff: marker plus exactly len network bits. */
		assert_int_equal(popcount16(k.a), 16 + len);
		xg_prefix_str(&k, buf, sizeof(buf));
		snprintf(want, sizeof(want), "/%d", len);
		assert_non_null(strstr(buf, want));
		assert_int_equal(strncmp(buf, "::", 2) != 0, 1);
	}
	for (len = 0; len <= 129; len++) {
		snprintf(in, sizeof(in),
			 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/%d", len);
		if (len == 129) {
			check_err(in, xg_parse_prefix(in, &k), -ERANGE);
			break;
		}
		check_err(in, xg_parse_prefix(in, &k), 0);
		assert_int_equal(k.prefixlen, len);
		assert_int_equal(popcount16(k.a), len);
		xg_prefix_str(&k, buf, sizeof(buf));
		snprintf(want, sizeof(want), "/%d", len);
		assert_non_null(strstr(buf, want));
	}
}

static void test_prefix_str_odd_keys(void **state)
{
	struct xg_lpm_key k = { .prefixlen = 64 };
	struct xg_addr a = v6("::ffff:1.2.3.4");
	char buf[XG_PREFIX_STRLEN];

	(void)state;
	/* Below /96 a mapped address is shown as IPv6, length untouched. */
	memcpy(k.a, a.a, 16);
	assert_string_equal(xg_prefix_str(&k, buf, sizeof(buf)),
			    "::ffff:1.2.3.4/64");
	k.prefixlen = 128;
	assert_string_equal(xg_prefix_str(&k, buf, sizeof(buf)), "1.2.3.4/32");
	assert_string_equal(xg_prefix_str(&k, buf, 8), "1.2.3.4");
	assert_null(xg_prefix_str(&k, buf, 0));
	/* The longest output fits XG_PREFIX_STRLEN. */
	a = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	memcpy(k.a, a.a, 16);
	assert_string_equal(xg_prefix_str(&k, buf, sizeof(buf)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

static void test_prefix_contains(void **state)
{
	static const struct {
		const char *prefix;
		const char *addr;
		int want;
	} t[] = {
		{ "10.0.0.0/8", "10.0.0.0", 1 },
		{ "10.0.0.0/8", "10.255.255.255", 1 },
		{ "10.0.0.0/8", "11.0.0.0", 0 },
		{ "10.0.0.0/8", "9.255.255.255", 0 },
		{ "192.168.1.64/28", "192.168.1.64", 1 },
		{ "192.168.1.64/28", "192.168.1.79", 1 },
		{ "192.168.1.64/28", "192.168.1.80", 0 },
		{ "192.168.1.64/28", "192.168.1.63", 0 },
		{ "1.2.3.4", "1.2.3.4", 1 },
		{ "1.2.3.4", "1.2.3.5", 0 },
		{ "0.0.0.0/0", "1.2.3.4", 1 },
		{ "0.0.0.0/0", "255.255.255.255", 1 },
		/* An IPv4 /0 covers IPv4 only; an IPv6 /0 covers everything. */
		{ "0.0.0.0/0", "::1", 0 },
		{ "0.0.0.0/0", "::fffe:1.2.3.4", 0 },
		{ "::/0", "1.2.3.4", 1 },
		{ "::/0", "2001:db8::1", 1 },
		{ "::1", "::1", 1 },
		{ "::1", "::", 0 },
		{ "2001:db8::/32", "2001:db8:ffff:ffff::1", 1 },
		{ "2001:db8::/32", "2001:db9::", 0 },
		{ "2001:db8::/33", "2001:db8:7fff::", 1 },
		{ "2001:db8::/33", "2001:db8:8000::", 0 },
		{ "::ffff:0:0/96", "8.8.8.8", 1 },
		{ "::ffff:0:0/96", "::8.8.8.8", 0 },
		{ "::ffff:1.2.3.0/120", "1.2.3.200", 1 },
		{ "1.2.3.0/24", "::ffff:1.2.3.9", 1 },
		{ "1.2.3.0/24", "1.2.4.0", 0 },
	};
	struct {
		struct xg_lpm_key k;
		__u8 tail[32];
	} ck;
	struct {
		struct xg_addr a;
		__u8 tail[32];
	} ca;
	struct xg_lpm_key k;
	struct xg_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		check_err(t[i].prefix, xg_parse_prefix(t[i].prefix, &k), 0);
		check_err(t[i].addr, xg_parse_addr(t[i].addr, &a), 0);
		if (xg_prefix_contains(&k, &a) != t[i].want)
			fail_msg("%s contains %s: got %d, want %d", t[i].prefix,
				 t[i].addr, xg_prefix_contains(&k, &a),
				 t[i].want);
	}
	/*
	 * A corrupt key matches nothing, not even its own address. The
	 * zeroed tails make an unchecked read past a[16] compare equal, so
	 * a missing length check shows here instead of passing by luck.
	 */
	memset(&ck, 0, sizeof(ck));
	memset(&ca, 0, sizeof(ca));
	memcpy(ck.k.a, a.a, sizeof(a.a));
	ca.a = a;
	ck.k.prefixlen = 128;
	assert_int_equal(xg_prefix_contains(&ck.k, &ca.a), 1);
	ck.k.prefixlen = 129;
	assert_int_equal(xg_prefix_contains(&ck.k, &ca.a), 0);
	ck.k.prefixlen = 135;
	assert_int_equal(xg_prefix_contains(&ck.k, &ca.a), 0);
}

/* ---- durations ---- */

static void test_duration_valid(void **state)
{
	static const struct {
		const char *in;
		__u64 secs;
	} t[] = {
		{ "1", 1 },
		{ "30", 30 },
		{ "30s", 30 },
		{ "90s", 90 },
		{ "001s", 1 },
		{ "10m", 600 },
		{ "2h", 7200 },
		{ "1d", 86400 },
		{ "1w", 604800 },
		{ "1h30m", 5400 },
		{ "2d3h", 2 * 86400 + 3 * 3600 },
		{ "1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5 },
		{ "1h0m", 3600 },
		{ "0h30m", 1800 },
		{ "1m30s", 90 },
		{ "never", 0 },
		{ "permanent", 0 },
		/* Exactly the 10-year maximum, spelt several ways. */
		{ "315360000", XG_DURATION_MAX_S },
		{ "3650d", XG_DURATION_MAX_S },
		{ "87600h", XG_DURATION_MAX_S },
		{ "521w3d", XG_DURATION_MAX_S },
		{ "3649d23h59m59s", XG_DURATION_MAX_S - 1 },
	};
	__u64 ns;
	size_t i;

	(void)state;
	assert_int_equal(XG_DURATION_MAX_S, 315360000ULL);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		ns = 12345;
		check_err(t[i].in, xg_parse_duration(t[i].in, &ns), 0);
		if (ns != NS(t[i].secs))
			fail_msg("'%s': %llu ns, want %llu", t[i].in,
				 (unsigned long long)ns,
				 (unsigned long long)NS(t[i].secs));
	}
}

static void test_duration_invalid(void **state)
{
	static const struct {
		const char *in;
		int err;
		const char *reason;
	} t[] = {
		{ "", -EINVAL, "empty" },
		{ "0", -ERANGE, "positive" },
		{ "00", -ERANGE, "positive" },
		{ "0s", -ERANGE, "positive" },
		{ "0h0m", -ERANGE, "positive" },
		{ "-1", -EINVAL, "unexpected '-'" },
		{ "-5s", -EINVAL, "unexpected '-'" },
		{ "+5s", -EINVAL, "unexpected '+'" },
		{ " 5s", -EINVAL, "unexpected byte 0x20" },
		{ "5s ", -EINVAL, "unexpected byte 0x20" },
		{ "5 s", -EINVAL, "unexpected byte 0x20" },
		{ "5s\n", -EINVAL, "0x0a" },
		{ "1h 30m", -EINVAL, "0x20" },
		{ "1.5h", -EINVAL, "unexpected '.'" },
		{ "5S", -EINVAL, "unknown unit 'S'" },
		{ "5x", -EINVAL, "unknown unit 'x'" },
		{ "5ms", -EINVAL, "unknown unit 'ms'" },
		{ "5sec", -EINVAL, "unknown unit 'sec'" },
		{ "5min", -EINVAL, "unknown unit 'min'" },
		{ "1e3", -EINVAL, "unknown unit 'e'" },
		{ "0x10", -EINVAL, "unknown unit 'x'" },
		{ "s", -EINVAL, "not a duration" },
		{ "m5", -EINVAL, "not a duration" },
		{ "Never", -EINVAL, "not a duration" },
		{ "never ", -EINVAL, "not a duration" },
		{ "nevers", -EINVAL, "not a duration" },
		{ "1h30", -EINVAL, "missing unit after '30'" },
		{ "5s5", -EINVAL, "missing unit" },
		{ "30m1h", -EINVAL, "largest to smallest" },
		{ "1h1h", -EINVAL, "largest to smallest" },
		{ "1s1m", -EINVAL, "largest to smallest" },
		{ "315360001", -ERANGE, "10 years" },
		{ "3651d", -ERANGE, "10 years" },
		{ "3650d1s", -ERANGE, "10 years" },
		{ "522w", -ERANGE, "10 years" },
		{ "18446744073709551615", -ERANGE, "10 years" },
		{ "18446744073709551616s", -ERANGE, "10 years" },
		{ "30500568904943w", -ERANGE, "10 years" }, /* wraps in ns */
		{ "99999999999999999999999999w", -ERANGE, "10 years" },
		{ "3000000d3000000d", -EINVAL, "largest to smallest" },
		/* Syntax is judged before size. */
		{ "99999999999999999999999999x", -EINVAL, "unknown unit" },
	};
	__u64 ns;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		ns = 12345;
		check_err(t[i].in, xg_parse_duration(t[i].in, &ns), t[i].err);
		check_reason(t[i].in, t[i].reason);
		assert_int_equal(ns, 12345);
	}
	assert_int_equal(xg_parse_duration(NULL, &ns), -EINVAL);
}

static void test_duration_str(void **state)
{
	static const struct {
		__u64 ns;
		const char *want;
	} t[] = {
		{ 0, "never" },
		{ NS(1), "1s" },
		{ NS(45), "45s" },
		{ NS(60), "1m" },
		{ NS(90), "1m30s" },
		{ NS(600), "10m" },
		{ NS(3600), "1h" },
		{ NS(5400), "1h30m" },
		{ NS(86400), "1d" },
		{ NS(2 * 86400 + 3 * 3600), "2d3h" },
		{ NS(604800), "7d" },
		{ NS(90061), "1d1h1m1s" },
		{ NS(XG_DURATION_MAX_S), "3650d" },
		/* Partial seconds round up: time left is never "0s". */
		{ 1, "1s" },
		{ 999999999, "1s" },
		{ 1500000000, "2s" },
		{ NS(59) + 1, "1m" },
		{ UINT64_MAX, "213503d23h34m34s" },
	};
	char buf[XG_DURATION_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		assert_ptr_equal(xg_duration_str(t[i].ns, buf, sizeof(buf)),
				 buf);
		if (strcmp(buf, t[i].want))
			fail_msg("%llu ns: '%s', want '%s'",
				 (unsigned long long)t[i].ns, buf, t[i].want);
	}
	assert_string_equal(xg_duration_str(NS(5400), buf, 3), "1h");
	assert_null(xg_duration_str(NS(1), buf, 0));
}

/* Printed durations of whole seconds parse back to the same value. */
static void test_duration_roundtrip(void **state)
{
	char buf[XG_DURATION_STRLEN];
	__u64 s, ns;

	(void)state;
	for (s = 1; s <= XG_DURATION_MAX_S;
	     s = s < 100000 ? s + 1 : s + 99991) {
		xg_duration_str(NS(s), buf, sizeof(buf));
		check_err(buf, xg_parse_duration(buf, &ns), 0);
		if (ns != NS(s))
			fail_msg("%llu s -> '%s' -> %llu ns",
				 (unsigned long long)s, buf,
				 (unsigned long long)ns);
	}
	xg_duration_str(NS(XG_DURATION_MAX_S), buf, sizeof(buf));
	assert_int_equal(xg_parse_duration(buf, &ns), 0);
	assert_int_equal(ns, NS(XG_DURATION_MAX_S));
	xg_duration_str(0, buf, sizeof(buf));
	ns = 1;
	assert_int_equal(xg_parse_duration(buf, &ns), 0);
	assert_int_equal(ns, 0);
}

/* ---- numbers ---- */

static void test_u64_valid(void **state)
{
	static const struct {
		const char *in;
		__u64 min, max, want;
	} t[] = {
		{ "0", 0, 10, 0 },
		{ "10", 0, 10, 10 },
		{ "1", 1, 1, 1 },
		{ "007", 0, 10, 7 },
		{ "65535", 0, 65535, 65535 },
		{ "4294967296", 0, UINT64_MAX, 4294967296ULL },
		{ "18446744073709551615", 0, UINT64_MAX, UINT64_MAX },
		{ "18446744073709551615", UINT64_MAX, UINT64_MAX, UINT64_MAX },
	};
	__u64 v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		v = 12345;
		check_err(t[i].in,
			  xg_parse_u64(t[i].in, t[i].min, t[i].max, &v), 0);
		if (v != t[i].want)
			fail_msg("'%s': %llu, want %llu", t[i].in,
				 (unsigned long long)v,
				 (unsigned long long)t[i].want);
	}
}

static void test_u64_invalid(void **state)
{
	static const struct {
		const char *in;
		__u64 min, max;
		int err;
		const char *reason;
	} t[] = {
		{ "", 0, 10, -EINVAL, "empty" },
		{ "-1", 0, 10, -EINVAL, "decimal" },
		{ "-18446744073709551615", 0, UINT64_MAX, -EINVAL, "decimal" },
		{ "+1", 0, 10, -EINVAL, "decimal" },
		{ " 1", 0, 10, -EINVAL, "decimal" },
		{ "1 ", 0, 10, -EINVAL, "decimal" },
		{ "1\n", 0, 10, -EINVAL, "decimal" },
		{ "0x10", 0, 100, -EINVAL, "decimal" },
		{ "1e3", 0, 10000, -EINVAL, "decimal" },
		{ "1.0", 0, 10, -EINVAL, "decimal" },
		{ "1,000", 0, 10000, -EINVAL, "decimal" },
		{ "\xd9\xa1", 0, 10, -EINVAL, "decimal" }, /* Arabic-Indic 1 */
		{ "11", 0, 10, -ERANGE, "11 is out of range 0-10" },
		{ "0", 1, 10, -ERANGE, "0 is out of range 1-10" },
		{ "65536", 0, 65535, -ERANGE, "65536 is out of range 0-65535" },
		{ "18446744073709551616", 0, UINT64_MAX, -ERANGE,
		  "out of range 0-18446744073709551615" },
		{ "99999999999999999999999999", 1, 100, -ERANGE,
		  "out of range 1-100" },
	};
	__u64 v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		v = 12345;
		check_err(t[i].in,
			  xg_parse_u64(t[i].in, t[i].min, t[i].max, &v),
			  t[i].err);
		check_reason(t[i].in, t[i].reason);
		assert_int_equal(v, 12345);
	}
	assert_int_equal(xg_parse_u64(NULL, 0, 1, &v), -EINVAL);
}

static void test_double_valid(void **state)
{
	static const struct {
		const char *in;
		double min, max, want;
	} t[] = {
		{ "0", 0, 1, 0.0 },
		{ "1", 0, 1, 1.0 },
		{ "0.5", 0, 1, 0.5 },
		{ "0.1", 0, 1, 0.1 },
		{ "-0.25", -1, 1, -0.25 },
		{ "-1", -1, 1, -1.0 },
		{ "1e3", 0, 1e6, 1000.0 },
		{ "1E-3", 0, 1, 0.001 },
		{ "2.5e+2", 0, 1000, 250.0 },
		{ "007.50", 0, 10, 7.5 },
		{ "123456789012345678901234567890", 0, 1e30,
		  123456789012345678901234567890.0 },
		{ "1e-400", 0, 1, 0.0 }, /* underflow: tiny, in range */
	};
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		v = 12345;
		check_err(t[i].in,
			  xg_parse_double(t[i].in, t[i].min, t[i].max, &v), 0);
		/* Exact: strtod() rounds the same way as the compiler. */
		if (v != t[i].want)
			fail_msg("'%s': %.17g, want %.17g", t[i].in, v,
				 t[i].want);
	}
	/* "-0" becomes plain 0, not a negative zero. */
	assert_int_equal(xg_parse_double("-0", 0, 1, &v), 0);
	assert_true(v == 0.0 && !signbit(v));
	assert_int_equal(xg_parse_double("-0.0e5", 0, 1, &v), 0);
	assert_true(v == 0.0 && !signbit(v));
}

static void test_double_invalid(void **state)
{
	static const struct {
		const char *in;
		double min, max;
		int err;
		const char *reason;
	} t[] = {
		{ "", 0, 1, -EINVAL, "empty" },
		{ "+1", 0, 1, -EINVAL, "decimal" },
		{ " 1", 0, 1, -EINVAL, "decimal" },
		{ "1 ", 0, 1, -EINVAL, "decimal" },
		{ "1\n", 0, 1, -EINVAL, "decimal" },
		{ ".5", 0, 1, -EINVAL, "decimal" },
		{ "5.", 0, 10, -EINVAL, "decimal" },
		{ "-", 0, 1, -EINVAL, "decimal" },
		{ "--1", -2, 1, -EINVAL, "decimal" },
		{ "1e", 0, 10, -EINVAL, "decimal" },
		{ "1e+", 0, 10, -EINVAL, "decimal" },
		{ "1.2.3", 0, 10, -EINVAL, "decimal" },
		{ "1e3x", 0, 1e6, -EINVAL, "decimal" },
		{ "1,5", 0, 10, -EINVAL, "decimal" },
		{ "inf", 0, 1, -EINVAL, "decimal" },
		{ "-inf", -1, 1, -EINVAL, "decimal" },
		{ "nan", 0, 1, -EINVAL, "decimal" },
		{ "0x1p3", 0, 10, -EINVAL, "decimal" },
		{ "1e999", 0, 1, -ERANGE, "out of range 0 to 1" },
		{ "-1e999", -1, 1, -ERANGE, "out of range -1 to 1" },
		{ "1.5", 0, 1, -ERANGE, "1.5 is out of range 0 to 1" },
		{ "-0.1", 0, 1, -ERANGE, "-0.1 is out of range 0 to 1" },
		{ "100.01", 0, 100, -ERANGE, "out of range 0 to 100" },
	};
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		v = 12345;
		check_err(t[i].in,
			  xg_parse_double(t[i].in, t[i].min, t[i].max, &v),
			  t[i].err);
		check_reason(t[i].in, t[i].reason);
		assert_true(v == 12345);
	}
	assert_int_equal(xg_parse_double(NULL, 0, 1, &v), -EINVAL);
}

static void test_numbers_overlong(void **state)
{
	size_t n = 4000;
	char *s = malloc(n + 2);
	double d;
	__u64 v;

	(void)state;
	assert_non_null(s);
	/* "1" and 3999 zeros: far past 2^64 and DBL_MAX. */
	memset(s, '0', n);
	s[0] = '1';
	s[n] = '\0';
	assert_int_equal(xg_parse_u64(s, 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(xg_parse_double(s, 0, 1e300, &d), -ERANGE);
	assert_int_equal(xg_parse_duration(s, &v), -ERANGE);
	/* Leading zeros only: still the small number at the end. */
	s[0] = '0';
	s[n - 1] = '7';
	assert_int_equal(xg_parse_u64(s, 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(xg_parse_double(s, 0, 10, &d), 0);
	assert_true(d == 7.0);
	/* ... with junk after it. */
	s[n] = 'x';
	s[n + 1] = '\0';
	assert_int_equal(xg_parse_u64(s, 0, 10, &v), -EINVAL);
	assert_int_equal(xg_parse_double(s, 0, 10, &d), -EINVAL);
	assert_int_equal(xg_parse_duration(s, &v), -EINVAL);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test(test_addr_invalid),
		cmocka_unit_test(test_addr_overlong),
		cmocka_unit_test(test_addr_is_v4),
		cmocka_unit_test(test_addr_str_small_buffer),
		cmocka_unit_test(test_prefix_valid),
		cmocka_unit_test(test_prefix_invalid),
		cmocka_unit_test(test_prefix_error_message),
		cmocka_unit_test(test_prefix_every_length),
		cmocka_unit_test(test_prefix_str_odd_keys),
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_duration_str),
		cmocka_unit_test(test_duration_roundtrip),
		cmocka_unit_test(test_u64_valid),
		cmocka_unit_test(test_u64_invalid),
		cmocka_unit_test(test_double_valid),
		cmocka_unit_test(test_double_invalid),
		cmocka_unit_test(test_numbers_overlong),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
