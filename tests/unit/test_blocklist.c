// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Blocklist file formats (user/blocklist.c): FireHOL .netset, Spamhaus
 * DROP/EDROP as text and as JSON lines, plain lists, `ipset save`, and the
 * malformed lines each must refuse with their line number.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blocklist.h"
#include "import.h"
#include "parse.h"

#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#define MAX_BAD 32

struct bad {
	unsigned long line[MAX_BAD];
	char why[MAX_BAD][200];
	int n;
};

static void on_bad(const char *file, unsigned long line, const char *why,
		   void *ctx)
{
	struct bad *b = ctx;

	assert_string_equal(file, "test.list");
	if (b->n < MAX_BAD) {
		b->line[b->n] = line;
		snprintf(b->why[b->n], sizeof(b->why[0]), "%s", why);
	}
	b->n++;
}

static void read_text(const char *text, struct xg_blocklist *bl,
		      struct bad *bad)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	memset(bad, 0, sizeof(*bad));
	assert_int_equal(xg_blocklist_read(f, "test.list", bl, on_bad, bad), 0);
	fclose(f);
}

/* The expected entries, spelled as prefixes; compared in sorted order. */
static void expect_keys(const struct xg_blocklist *bl, const char *const *want,
			size_t n)
{
	char got[XG_PREFIX_STRLEN];
	size_t i;

	if (bl->n != n) {
		for (i = 0; i < bl->n; i++)
			print_message(
				"got %s\n",
				xg_prefix_str(&bl->keys[i], got, sizeof(got)));
		fail_msg("got %zu entries, want %zu", bl->n, n);
	}
	for (i = 0; i < n; i++) {
		xg_prefix_str(&bl->keys[i], got, sizeof(got));
		if (strcmp(got, want[i]))
			fail_msg("entry %zu: got %s, want %s", i, got, want[i]);
	}
}

static void firehol_netset(void **state)
{
	static const char text[] =
		"#\n"
		"# firehol_level1\n"
		"# ipv4 hash:net ipset\n"
		"#\n"
		"# Source URL: https://iplists.firehol.org/\n"
		"#\n"
		"0.0.0.0/8\n"
		"1.10.16.0/20\n"
		"1.19.0.0/16\n"
		"5.134.128.0/19\n"
		"223.254.0.0/16\n"
		"192.0.2.7\n";
	static const char *const want[] = {
		"0.0.0.0/8",	  "1.10.16.0/20", "1.19.0.0/16",
		"5.134.128.0/19", "192.0.2.7/32", "223.254.0.0/16",
	};
	struct xg_blocklist bl;
	struct bad bad;

	read_text(text, &bl, &bad);
	assert_int_equal(bad.n, 0);
	assert_int_equal(bl.lines, 12);
	expect_keys(&bl, want, ARRAY_SIZE(want));
	xg_blocklist_free(&bl);
}

static void spamhaus_drop_text(void **state)
{
	static const char text[] =
		"; Spamhaus DROP List 2024/01/18 - (c) 2024 The Spamhaus Project SLU\n"
		"; https://www.spamhaus.org/drop/drop.txt\n"
		"; Last-Modified: Wed, 17 Jan 2024 15:36:42 GMT\n"
		"; Expires: Fri, 19 Jan 2024 04:54:29 GMT\n"
		"1.10.16.0/20 ; SBL256894\n"
		"1.19.0.0/16 ; SBL434604\n"
		"2.56.192.0/22 ; SBL459831\n";
	static const char *const want[] = { "1.10.16.0/20", "1.19.0.0/16",
					    "2.56.192.0/22" };
	struct xg_blocklist bl;
	struct bad bad;

	read_text(text, &bl, &bad);
	assert_int_equal(bad.n, 0);
	expect_keys(&bl, want, ARRAY_SIZE(want));
	xg_blocklist_free(&bl);
}

static void spamhaus_dropv6_text(void **state)
{
	static const char text[] = "; Spamhaus IPv6 DROP List 2024/01/18\n"
				   "2001:678:738::/48 ; SBL577339\n"
				   "2a06:f5c0::/29 ; SBL502447\n";
	static const char *const want[] = { "2001:678:738::/48",
					    "2a06:f5c0::/29" };
	struct xg_blocklist bl;
	struct bad bad;

	read_text(text, &bl, &bad);
	assert_int_equal(bad.n, 0);
	expect_keys(&bl, want, ARRAY_SIZE(want));
	xg_blocklist_free(&bl);
}

static void spamhaus_drop_json(void **state)
{
	static const char text[] =
		"{\"cidr\":\"1.10.16.0/20\",\"sblid\":\"SBL256894\",\"rir\":\"apnic\"}\n"
		"{\"cidr\":\"2a06:f5c0::/29\",\"sblid\":\"SBL502447\",\"rir\":\"ripencc\"}\n"
		"{\"type\":\"metadata\",\"timestamp\":1705587269,\"size\":59326,\"records\":1307,\"copyright\":\"(c) 2024 The Spamhaus Project SLU\",\"terms\":\"https://www.spamhaus.org/drop/terms/\"}\n"
		"{\"sblid\":\"SBL1\"}\n"
		"{\"cidr\":\"1.2.3\"}\n"
		"{\"cidr\": 5}\n"
		"{not json\n";
	static const char *const want[] = { "1.10.16.0/20", "2a06:f5c0::/29" };
	struct xg_blocklist bl;
	struct bad bad;

	read_text(text, &bl, &bad);
	expect_keys(&bl, want, ARRAY_SIZE(want));
	assert_int_equal(bad.n, 4);
	assert_int_equal(bad.line[0], 4);
	assert_non_null(strstr(bad.why[0], "\"cidr\""));
	assert_int_equal(bad.line[1], 5);
	assert_non_null(strstr(bad.why[1], "'1.2.3'"));
	assert_int_equal(bad.line[2], 6);
	assert_int_equal(bad.line[3], 7);
	assert_non_null(strstr(bad.why[3], "JSON"));
	xg_blocklist_free(&bl);
}

static void plain_list(void **state)
{
	static const char text[] = "# my list\r\n"
				   "\r\n"
				   "   10.0.0.1   \r\n"
				   "\t10.0.0.0/8\t# the whole net\n"
				   "2001:db8::1 ; one v6 host\n"
				   "2001:db8:1::/64\n"
				   "   # indented comment\n"
				   ";\n"
				   "198.51.100.0/24";
	static const char *const want[] = { "10.0.0.0/8", "10.0.0.1/32",
					    "198.51.100.0/24",
					    "2001:db8::1/128",
					    "2001:db8:1::/64" };
	struct xg_blocklist bl;
	struct bad bad;

	read_text(text, &bl, &bad);
	assert_int_equal(bad.n, 0);
	assert_int_equal(bl.lines, 9);
	expect_keys(&bl, want, ARRAY_SIZE(want));
	xg_blocklist_free(&bl);
}

static void ipset_save(void **state)
{
	static const char text[] =
		"create blocked hash:net family inet hashsize 1024 maxelem 65536\n"
		"add blocked 192.0.2.0/24\n"
		"add blocked 198.51.100.7 timeout 3600\n"
		"add blocked 203.0.113.0/25 comment \"from fail2ban\"\n"
		"create blocked6 hash:net family inet6 hashsize 1024 maxelem 65536\n"
		"add blocked6 2001:db8::/32\n"
		"add blocked 10.1.0.0/16 nomatch\n"
		"add ports 192.0.2.1,tcp:80\n"
		"add blocked\n"
		"destroy blocked\n";
	static const char *const want[] = { "192.0.2.0/24", "198.51.100.7/32",
					    "203.0.113.0/25", "2001:db8::/32" };
	struct xg_blocklist bl;
	struct bad bad;

	read_text(text, &bl, &bad);
	expect_keys(&bl, want, ARRAY_SIZE(want));
	assert_int_equal(bad.n, 4);
	assert_int_equal(bad.line[0], 7);
	assert_non_null(strstr(bad.why[0], "nomatch"));
	assert_int_equal(bad.line[1], 8);
	assert_non_null(strstr(bad.why[1], "ports"));
	assert_int_equal(bad.line[2], 9);
	assert_int_equal(bad.line[3], 10);
	xg_blocklist_free(&bl);
}

/* Each bad line, alone between two good ones: its number and its reason. */
static const struct {
	const char *line;
	const char *why; /* substring of the reason */
} bad_lines[] = {
	{ "1.2.3", "not a valid IPv4" },
	{ "256.1.1.1", "not a valid IPv4" },
	{ "1.2.3.4/33", "out of range" },
	{ "1.2.3.4/", "missing prefix length" },
	{ "1.2.3.4/x", "not a decimal" },
	{ "2001:db8::/129", "out of range" },
	{ "2001:db8:::1", "not a valid IPv6" },
	{ "fe80::1%eth0", "not a valid IPv6" },
	{ "1.2.3.4-1.2.3.9", "ranges" },
	{ "1.2.3.4 1.2.3.5", "unexpected '1.2.3.5'" },
	{ "1.2.3.4/24 SBL1", "unexpected 'SBL1'" },
	{ "example.com", "not a valid IPv4" },
	{ "::/0", "covers all of IPv4" },
	{ "::/8", "covers all of IPv4" },
	{ "0x7f000001", "not a valid IPv4" },
	{ "add", "set name" },
	{ "{", "JSON" },
};

static void malformed_lines(void **state)
{
	static const char *const want[] = { "10.0.0.1/32", "10.0.0.2/32" };
	char text[256];
	struct xg_blocklist bl;
	struct bad bad;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_lines); i++) {
		snprintf(text, sizeof(text), "10.0.0.1\n%s\n10.0.0.2\n",
			 bad_lines[i].line);
		read_text(text, &bl, &bad);
		if (bad.n != 1 || bad.line[0] != 2)
			fail_msg(
				"'%s': %d bad lines (first at %lu), want line 2",
				bad_lines[i].line, bad.n,
				bad.n ? bad.line[0] : 0);
		if (!strstr(bad.why[0], bad_lines[i].why))
			fail_msg("'%s': reason '%s' lacks '%s'",
				 bad_lines[i].line, bad.why[0],
				 bad_lines[i].why);
		assert_int_equal(bl.bad, 1);
		expect_keys(&bl, want, ARRAY_SIZE(want));
		xg_blocklist_free(&bl);
	}
}

static void nul_and_long_lines(void **state)
{
	static const char with_nul[] = "10.0.0.1\n1.2.\0003.4\n10.0.0.2\n";
	static const char *const want[] = { "10.0.0.1/32", "10.0.0.2/32" };
	size_t len = XG_BLOCKLIST_LINE_MAX + 100;
	char *text = malloc(len + 32);
	struct xg_blocklist bl;
	struct bad bad;
	FILE *f;

	/* fmemopen on the raw bytes: the NUL sits inside line 2. */
	f = fmemopen((void *)with_nul, sizeof(with_nul) - 1, "r");
	assert_non_null(f);
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(xg_blocklist_read(f, "test.list", &bl, on_bad, &bad),
			 0);
	fclose(f);
	assert_int_equal(bad.n, 1);
	assert_int_equal(bad.line[0], 2);
	assert_non_null(strstr(bad.why[0], "NUL"));
	expect_keys(&bl, want, ARRAY_SIZE(want));
	xg_blocklist_free(&bl);

	assert_non_null(text);
	strcpy(text, "10.0.0.1\n");
	memset(text + 9, ' ', len);
	strcpy(text + 9 + len, "1.2.3.4\n10.0.0.2\n");
	read_text(text, &bl, &bad);
	assert_int_equal(bad.n, 1);
	assert_int_equal(bad.line[0], 2);
	assert_non_null(strstr(bad.why[0], "too long"));
	expect_keys(&bl, want, ARRAY_SIZE(want));
	xg_blocklist_free(&bl);
	free(text);
}

/* Host bits are cleared (as ipset does), so equal networks count once. */
static void duplicates_and_host_bits(void **state)
{
	static const char text[] = "10.1.2.3/24\n"
				   "10.1.2.0/24\n"
				   "10.1.2.255/24 ; again\n"
				   "2001:db8::1/32\n"
				   "2001:db8::/32\n"
				   "10.1.2.3\n";
	static const char *const want[] = { "10.1.2.0/24", "10.1.2.3/32",
					    "2001:db8::/32" };
	struct xg_blocklist bl;
	struct bad bad;

	read_text(text, &bl, &bad);
	assert_int_equal(bad.n, 0);
	assert_int_equal(bl.dups, 3);
	expect_keys(&bl, want, ARRAY_SIZE(want));
	xg_blocklist_free(&bl);
}

static void empty_and_comment_only(void **state)
{
	struct xg_blocklist bl;
	struct bad bad;

	read_text("", &bl, &bad);
	assert_int_equal(bl.n, 0);
	assert_int_equal(bl.lines, 0);
	xg_blocklist_free(&bl);
	read_text("# nothing\n; here\n\n", &bl, &bad);
	assert_int_equal(bl.n, 0);
	assert_int_equal(bl.lines, 3);
	assert_int_equal(bad.n, 0);
	xg_blocklist_free(&bl);
}

static void covers_v4(void **state)
{
	static const struct {
		const char *p;
		bool covers;
	} t[] = {
		{ "::/0", true },	    { "::/80", true },
		{ "::ffff:0:0/96", false }, { "::ffff:0:0/95", true },
		{ "::fffe:0:0/96", false }, { "::ffff:0:0/97", false },
		{ "::/81", false },	    { "2000::/3", false },
		{ "0.0.0.0/0", false },	    { "10.0.0.0/8", false },
		{ "2001:db8::/32", false },
	};
	struct xg_lpm_key k;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		assert_int_equal(xg_parse_prefix(t[i].p, &k), 0);
		if (xg_prefix_covers_v4(&k) != t[i].covers)
			fail_msg("%s: covers %d, want %d", t[i].p, !t[i].covers,
				 t[i].covers);
	}
}

static void source_names(void **state)
{
	static const char *const ok[] = { "drop.txt", "firehol_level1.netset",
					  "a", "list-2+x@y" };
	static const char *const bad[] = {
		"",
		".hidden",
		"a b",
		"a/b",
		"x\n",
		"ü",
		"0123456789012345678901234567890123456789012345678901234567890123"
	};
	const char *why;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		if (xg_source_name_check(ok[i], &why))
			fail_msg("'%s' refused: %s", ok[i], why);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (!xg_source_name_check(bad[i], &why))
			fail_msg("'%s' accepted", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(firehol_netset),
		cmocka_unit_test(spamhaus_drop_text),
		cmocka_unit_test(spamhaus_dropv6_text),
		cmocka_unit_test(spamhaus_drop_json),
		cmocka_unit_test(plain_list),
		cmocka_unit_test(ipset_save),
		cmocka_unit_test(malformed_lines),
		cmocka_unit_test(nul_and_long_lines),
		cmocka_unit_test(duplicates_and_host_bits),
		cmocka_unit_test(empty_and_comment_only),
		cmocka_unit_test(covers_v4),
		cmocka_unit_test(source_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
