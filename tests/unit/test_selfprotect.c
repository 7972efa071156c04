// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Self-protection: the SSH peer from $SSH_CONNECTION, default gateways from
 * route messages built here as the kernel sends them, and the sync of the
 * allowlist's self entries against a real LPM trie (skipped without the
 * rights to create one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <bpf/bpf.h>

#include <cmocka.h>

#include "bans.h"
#include "selfprotect.h"

static struct xg_addr addr(const char *s)
{
	struct xg_addr a = {};

	if (inet_pton(AF_INET6, s, a.a) == 1)
		return a;
	a.a[10] = a.a[11] = 0xff;
	if (inet_pton(AF_INET, s, a.a + 12) != 1)
		fail_msg("bad address in table: %s", s);
	return a;
}

static bool has(const struct xg_self_set *s, const char *a,
		enum xg_self_kind kind)
{
	struct xg_addr x = addr(a);
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(&s->a[i].addr, &x, sizeof(x)) &&
		    s->a[i].kind == kind)
			return true;
	return false;
}

static void test_ssh(void **state)
{
	static const struct {
		const char *env, *want; /* want NULL: refused */
	} t[] = {
		{ "192.0.2.7 52114 192.0.2.1 22", "192.0.2.7" },
		{ "2001:db8::7 52114 2001:db8::1 22", "2001:db8::7" },
		{ "fe80::7%eth0 52114 fe80::1%eth0 22", "fe80::7" },
		{ "192.0.2.9 52114 22", "192.0.2.9" }, /* SSH_CLIENT */
		{ "  192.0.2.8 1 2 3", "192.0.2.8" },
		{ "", NULL },
		{ "garbage 1 2 3", NULL },
		{ "192.0.2", NULL },
		{ "1111111111111111111111111111111111111111111111111111111 1",
		  NULL },
	};
	struct xg_addr a, w;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int err = xg_self_parse_ssh(t[i].env, &a);

		if (!t[i].want) {
			if (!err)
				fail_msg("'%s' accepted", t[i].env);
			continue;
		}
		if (err)
			fail_msg("'%s' refused", t[i].env);
		w = addr(t[i].want);
		assert_memory_equal(&a, &w, sizeof(a));
	}
	assert_int_not_equal(xg_self_parse_ssh(NULL, &a), 0);
}

/* A route message as the kernel's dump sends it. */
static struct nlmsghdr *route(char *buf, int family, int dst_len, int type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_type = type;
	rtm->rtm_table = RT_TABLE_MAIN;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put_u32(nlh, RTA_OIF, 2);
	return nlh;
}

static void test_routes(void **state)
{
	char buf[1024];
	struct xg_self_set s = {};
	struct nlmsghdr *nlh;
	struct in_addr v4;
	struct in6_addr v6;
	struct nlattr *mp;
	struct rtnexthop *nh;
	struct {
		__u16 family;
		__u8 addr[16];
	} __attribute__((packed)) via;

	/* default via 10.77.0.254 */
	nlh = route(buf, AF_INET, 0, RTN_UNICAST);
	inet_pton(AF_INET, "10.77.0.254", &v4);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, &v4);
	assert_int_equal(xg_self_parse_route(nlh, &s), 0);

	/* 10.0.0.0/8 via 10.77.0.253: not a default route */
	nlh = route(buf, AF_INET, 8, RTN_UNICAST);
	inet_pton(AF_INET, "10.77.0.253", &v4);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, &v4);
	assert_int_equal(xg_self_parse_route(nlh, &s), 0);

	/* unreachable default: no gateway to protect */
	nlh = route(buf, AF_INET, 0, RTN_UNREACHABLE);
	inet_pton(AF_INET, "10.77.0.252", &v4);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, &v4);
	assert_int_equal(xg_self_parse_route(nlh, &s), 0);

	/* default via fd77::a and fd77::b (multipath) */
	nlh = route(buf, AF_INET6, 0, RTN_UNICAST);
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	nh = mnl_nlmsg_get_payload_tail(nlh);
	nlh->nlmsg_len += RTNH_LENGTH(0);
	inet_pton(AF_INET6, "fd77::a", &v6);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, &v6);
	nh->rtnh_len = (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)nh;
	nh = mnl_nlmsg_get_payload_tail(nlh);
	nlh->nlmsg_len += RTNH_LENGTH(0);
	inet_pton(AF_INET6, "fd77::b", &v6);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, &v6);
	nh->rtnh_len = (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)nh;
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(xg_self_parse_route(nlh, &s), 0);

	/* IPv4 default via an IPv6 next hop (RTA_VIA) */
	nlh = route(buf, AF_INET, 0, RTN_UNICAST);
	via.family = AF_INET6;
	inet_pton(AF_INET6, "fe80::1", via.addr);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via), &via);
	assert_int_equal(xg_self_parse_route(nlh, &s), 0);

	/* A truncated gateway attribute is ignored, not read past. */
	nlh = route(buf, AF_INET6, 0, RTN_UNICAST);
	mnl_attr_put(nlh, RTA_GATEWAY, 3, "abc");
	assert_int_equal(xg_self_parse_route(nlh, &s), 0);

	assert_true(has(&s, "10.77.0.254", XG_SELF_GATEWAY));
	assert_true(has(&s, "fd77::a", XG_SELF_GATEWAY));
	assert_true(has(&s, "fd77::b", XG_SELF_GATEWAY));
	assert_true(has(&s, "fe80::1", XG_SELF_GATEWAY));
	assert_int_equal(s.n, 4);
	xg_self_free(&s);
}

static void test_collect(void **state)
{
	struct xg_self_set s = {};

	setenv("SSH_CONNECTION", "198.51.100.23 40000 198.51.100.1 22", 1);
	assert_int_equal(xg_self_collect(&s), 0);
	unsetenv("SSH_CONNECTION");
	/*
	 * Every network namespace has a loopback interface, and it is left
	 * out: 127.0.0.1 on a NIC is forged, never this host.
	 */
	assert_false(has(&s, "127.0.0.1", XG_SELF_LOCAL));
	assert_true(has(&s, "198.51.100.23", XG_SELF_SSH));
	xg_self_free(&s);
}

static __u32 flags_of(int fd, const char *p, __u32 plen)
{
	struct xg_allow_entry *e;
	struct xg_addr a = addr(p);
	size_t n, i;
	__u32 f = ~0u;

	assert_int_equal(xg_allow_list(fd, &e, &n), 0);
	for (i = 0; i < n; i++)
		if (e[i].prefix.prefixlen == plen &&
		    !memcmp(e[i].prefix.a, a.a, 16))
			f = e[i].allow.flags;
	free(e);
	return f; /* ~0: absent */
}

static void put(int fd, const char *p, __u32 plen, __u32 flags)
{
	struct xg_lpm_key k = { .prefixlen = plen };
	struct xg_allow v = { .flags = flags };
	struct xg_addr a = addr(p);

	memcpy(k.a, a.a, 16);
	assert_int_equal(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
}

static void test_sync(void **state)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	struct xg_self_set s = {};
	struct xg_addr x;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "t_allow",
			    sizeof(struct xg_lpm_key), sizeof(struct xg_allow),
			    16, &o);
	if (fd < 0)
		skip(); /* needs CAP_BPF */
	put(fd, "10.0.0.1", 128, 0); /* the operator's */
	put(fd, "10.0.0.2", 128, XG_ALLOW_F_SELF); /* a stale self entry */
	put(fd, "10.9.0.0", 112, 0); /* a prefix: never touched */
	x = addr("10.0.0.1");
	assert_int_equal(xg_self_add(&s, &x, XG_SELF_LOCAL), 0);
	x = addr("2001:db8::3");
	assert_int_equal(xg_self_add(&s, &x, XG_SELF_GATEWAY), 0);
	assert_int_equal(xg_self_add(&s, &x, XG_SELF_GATEWAY), 0);
	assert_int_equal(s.n, 2);

	assert_int_equal(xg_self_sync(fd, &s), 1);
	assert_int_equal(flags_of(fd, "10.0.0.1", 128), 0);
	assert_int_equal(flags_of(fd, "10.0.0.2", 128), ~0u);
	assert_int_equal(flags_of(fd, "2001:db8::3", 128), XG_ALLOW_F_SELF);
	assert_int_equal(flags_of(fd, "10.9.0.0", 112), 0);
	/* Idempotent. */
	assert_int_equal(xg_self_sync(fd, &s), 0);

	/* --no-self-protect: only the self entries go. */
	xg_self_free(&s);
	assert_int_equal(xg_self_sync(fd, &s), 0);
	assert_int_equal(flags_of(fd, "2001:db8::3", 128), ~0u);
	assert_int_equal(flags_of(fd, "10.0.0.1", 128), 0);
	assert_int_equal(flags_of(fd, "10.9.0.0", 112), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssh),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
