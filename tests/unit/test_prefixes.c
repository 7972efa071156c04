// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The merge of a prefix ban's owners (user/prefixes.c): what the datapath
 * enforces when a ban of its own and blocklists share a prefix, and what is
 * left when one of them expires or goes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prefixes.h"

#define S(n) ((__u64)(n)*1000000000ULL)

static struct xg_source src[XG_SOURCES_MAX];

static void set_source(int slot, const char *name, __u64 expires, __u64 created)
{
	memset(&src[slot], 0, sizeof(src[slot]));
	strcpy(src[slot].name, name);
	src[slot].expires_ns = expires;
	src[slot].created_ns = created;
}

static int setup(void **state)
{
	memset(src, 0, sizeof(src));
	set_source(1, "drop.txt", 0, S(100));
	set_source(2, "short", S(500), S(200));
	set_source(3, "shorter", S(300), S(50));
	return 0;
}

static struct xg_prefix_ban own(__u64 expires, __u32 reason, __u32 owners)
{
	struct xg_prefix_ban v = {
		.ban = { .created_ns = S(10), .reason = reason, .repeat = 3 },
		.direct_expires_ns = expires,
		.prefixlen = 120,
		.owners = owners,
	};

	xg_prefix_merge(&v, src);
	return v;
}

static void later(void **state)
{
	assert_int_equal(xg_expiry_later(0, S(5)), 0);
	assert_int_equal(xg_expiry_later(S(5), 0), 0);
	assert_int_equal(xg_expiry_later(S(5), S(7)), S(7));
	assert_int_equal(xg_expiry_later(S(9), S(7)), S(9));
}

static void own_ban_only(void **state)
{
	struct xg_prefix_ban v =
		own(S(400), XG_REASON_PORT_SCAN, XG_OWNER_DIRECT);

	assert_int_equal(v.ban.expires_ns, S(400));
	assert_int_equal(v.ban.reason, XG_REASON_PORT_SCAN);
	assert_int_equal(v.ban.repeat, 3);
	assert_int_equal(v.ban.created_ns, S(10));
}

static void list_only(void **state)
{
	struct xg_prefix_ban v = { .prefixlen = 120, .owners = 1u << 2 };

	xg_prefix_merge(&v, src);
	assert_int_equal(v.ban.expires_ns, S(500));
	assert_int_equal(v.ban.reason, XG_REASON_BLOCKLIST);
	assert_int_equal(v.ban.repeat, 0);
	assert_int_equal(v.ban.created_ns, S(200));
}

/* The latest expiry of any owner, the earliest import; never beats all. */
static void two_lists(void **state)
{
	struct xg_prefix_ban v = { .owners = 1u << 2 | 1u << 3 };

	xg_prefix_merge(&v, src);
	assert_int_equal(v.ban.expires_ns, S(500));
	assert_int_equal(v.ban.created_ns, S(50));
	v.owners |= 1u << 1;
	xg_prefix_merge(&v, src);
	assert_int_equal(v.ban.expires_ns, 0);
}

/* Own ban and a list: the list's later expiry, the own ban's reason. */
static void own_ban_and_list(void **state)
{
	struct xg_prefix_ban v =
		own(S(400), XG_REASON_MANUAL, XG_OWNER_DIRECT | 1u << 2);

	assert_int_equal(v.ban.expires_ns, S(500));
	assert_int_equal(v.ban.reason, XG_REASON_MANUAL);
	assert_int_equal(v.ban.repeat, 3);
	v = own(S(600), XG_REASON_MANUAL, XG_OWNER_DIRECT | 1u << 3);
	assert_int_equal(v.ban.expires_ns, S(600));
	v = own(0, XG_REASON_MANUAL, XG_OWNER_DIRECT | 1u << 3);
	assert_int_equal(v.ban.expires_ns, 0);
}

/* The own ban expires first: the list keeps the prefix banned, as its own. */
static void own_ban_expires_list_stays(void **state)
{
	struct xg_prefix_ban v =
		own(S(400), XG_REASON_PORT_SCAN, XG_OWNER_DIRECT | 1u << 1);

	assert_false(xg_prefix_expire(&v, src, S(399)));
	assert_true(xg_prefix_expire(&v, src, S(400)));
	assert_int_equal(v.owners, 1u << 1);
	assert_int_equal(v.ban.reason, XG_REASON_BLOCKLIST);
	assert_int_equal(v.ban.expires_ns, 0);
	assert_int_equal(v.ban.repeat, 0);
	assert_int_equal(v.ban.created_ns, S(100));
}

/* A list expires first: the own ban goes on with its own expiry. */
static void list_expires_own_ban_stays(void **state)
{
	struct xg_prefix_ban v =
		own(S(450), XG_REASON_MANUAL, XG_OWNER_DIRECT | 1u << 3);

	assert_int_equal(v.ban.expires_ns, S(450));
	assert_true(xg_prefix_expire(&v, src, S(300)));
	assert_int_equal(v.owners, XG_OWNER_DIRECT);
	assert_int_equal(v.ban.expires_ns, S(450));
	assert_true(xg_prefix_expire(&v, src, S(450)));
	assert_int_equal(v.owners, 0);
}

/* A bit of a freed slot (a list removed half way) is dropped. */
static void removed_list_bit(void **state)
{
	struct xg_prefix_ban v = { .owners = 1u << 7 | 1u << 1 };

	xg_prefix_merge(&v, src);
	assert_true(xg_prefix_expire(&v, src, S(1)));
	assert_int_equal(v.owners, 1u << 1);
	assert_false(xg_prefix_expire(&v, src, S(1000000)));
}

static void mask_and_order(void **state)
{
	struct xg_lpm_key k = { .prefixlen = 128 }, m, a, b;

	memset(k.a, 0xff, sizeof(k.a));
	xg_prefix_mask(&k, 61, &m);
	assert_int_equal(m.prefixlen, 61);
	assert_int_equal(m.a[7], 0xf8);
	assert_int_equal(m.a[8], 0);
	assert_int_equal(m.a[6], 0xff);
	a = m;
	b = m;
	b.prefixlen = 62;
	assert_true(xg_lpm_key_cmp(&a, &b) < 0);
	b = m;
	b.a[15] = 1;
	assert_true(xg_lpm_key_cmp(&a, &b) < 0);
	assert_int_equal(xg_lpm_key_cmp(&a, &a), 0);
}

static void owner_names(void **state)
{
	struct xg_prefix_ban v = { .owners = XG_OWNER_DIRECT | 1u << 2 |
					     1u << 9 };
	char buf[64];

	xg_owner_names(&v, src, buf, sizeof(buf));
	assert_string_equal(buf, "own ban, short, (removed list)");
	xg_owner_names(&v, src, buf, 12);
	assert_string_equal(buf, "own ban");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(later, setup),
		cmocka_unit_test_setup(own_ban_only, setup),
		cmocka_unit_test_setup(list_only, setup),
		cmocka_unit_test_setup(two_lists, setup),
		cmocka_unit_test_setup(own_ban_and_list, setup),
		cmocka_unit_test_setup(own_ban_expires_list_stays, setup),
		cmocka_unit_test_setup(list_expires_own_ban_stays, setup),
		cmocka_unit_test_setup(removed_list_bit, setup),
		cmocka_unit_test_setup(mask_and_order, setup),
		cmocka_unit_test_setup(owner_names, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
