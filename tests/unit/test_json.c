// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The JSON of docs/json.md, key by key and type by type: stats (with the
 * rates behind it), alarms and drop samples, built from synthetic input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alarms.h"
#include "common.h"
#include "json_schema.h"
#include "parse.h"
#include "samples.h"
#include "statsview.h"

#define SEC(x) ((__u64)(x)*1000000000ULL)

static const struct jfield counter_f[] = {
	{ "pkts", J_INT },
	{ "bytes", J_INT },
	{ "pps", J_NUM },
	{ "bps", J_NUM },
};

static const struct jfield stats_f[] = {
	{ "ts", J_STR },
	{ "interval_s", J_NUM },
	{ "pass", J_OBJ },
	{ "allowed", J_OBJ },
	{ "malformed", J_OBJ },
	{ "non_ip", J_OBJ },
	{ "drop", J_OBJ },
	{ "total_pkts", J_INT },
	{ "total_bytes", J_INT },
	{ "pps", J_NUM },
	{ "bps", J_NUM },
	{ "drops_pps", J_NUM },
	{ "tracked_sources", J_INT },
	{ "top", J_OBJ },
	{ "alarms", J_ARR | J_NULL },
};

static const struct jfield top_f[] = {
	{ "pkts", J_ARR },
	{ "syns", J_ARR },
	{ "icmp_echo", J_ARR },
	{ "ports", J_ARR },
};

static const struct jfield source_f[] = {
	{ "addr", J_STR },	{ "pkts", J_INT },
	{ "bytes", J_INT },	{ "syns", J_INT },
	{ "icmp_echo", J_INT }, { "udp", J_INT },
	{ "tcp_ports", J_INT }, { "udp_ports", J_INT },
	{ "pps", J_NUM },	{ "bps", J_NUM },
	{ "syn_pps", J_NUM },	{ "icmp_pps", J_NUM },
	{ "state", J_STR },	{ "ban", J_OBJ | J_NULL },
};

static const struct jfield alarm_f[] = {
	{ "kind", J_STR },	   { "action", J_STR },
	{ "src", J_STR | J_NULL }, { "dst", J_STR | J_NULL },
	{ "cpu", J_INT | J_NULL }, { "value", J_INT },
	{ "threshold", J_INT },	   { "since", J_STR },
	{ "last", J_STR },	   { "age_s", J_NUM },
	{ "count", J_INT },
};

static const struct jfield sample_f[] = {
	{ "seq", J_INT },
	{ "ts", J_STR },
	{ "iface", J_STR | J_NULL },
	{ "reason", J_STR },
	{ "len", J_INT },
	{ "caplen", J_INT },
	{ "family", J_STR | J_NULL },
	{ "src", J_STR | J_NULL },
	{ "dst", J_STR | J_NULL },
	{ "proto", J_INT | J_NULL },
	{ "sport", J_INT | J_NULL },
	{ "dport", J_INT | J_NULL },
	{ "tcp_flags", J_STR | J_NULL },
	{ "icmp_type", J_INT | J_NULL },
	{ "vlan", J_ARR },
	{ "hex", J_STR },
};

static struct xg_addr ip4(const char *s)
{
	struct xg_addr a = { .a = { [10] = 0xff, [11] = 0xff } };

	assert_int_equal(inet_pton(AF_INET, s, &a.a[12]), 1);
	return a;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("no key %s", k);
	return v;
}

static int cmp_addr(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct xg_addr));
}

/* Two readings 2 s apart: one scanner, one flooder, one quiet host. */
static void readings(struct xg_reading *r0, struct xg_reading *r1)
{
	static struct xg_src_sample s0[2], s1[4];

	memset(r0, 0, sizeof(*r0));
	memset(r1, 0, sizeof(*r1));
	r0->t = SEC(100);
	r1->t = SEC(102);
	r0->c[XG_CNT_PASS] = (struct xg_counter){ 1000, 100000 };
	r1->c[XG_CNT_PASS] = (struct xg_counter){ 3000, 300000 };
	r0->c[XG_CNT_DROP_BASE + XG_REASON_SYN_FLOOD] =
		(struct xg_counter){ 0, 0 };
	r1->c[XG_CNT_DROP_BASE + XG_REASON_SYN_FLOOD] =
		(struct xg_counter){ 400, 24000 };
	s0[0] = (struct xg_src_sample){ .addr = ip4("10.0.0.1"),
					.pkts = 100,
					.bytes = 6000,
					.syns = 0xfffffff0u }; /* wraps */
	s0[1] = (struct xg_src_sample){ .addr = ip4("10.0.0.2"),
					.pkts = 5000,
					.bytes = 500000 };
	s1[0] = (struct xg_src_sample){ .addr = ip4("10.0.0.1"),
					.pkts = 1100,
					.bytes = 66000,
					.syns = 0x10u,
					.tcp_ports = 40 };
	/* Fewer packets than before: its LRU entry was recycled. */
	s1[1] = (struct xg_src_sample){ .addr = ip4("10.0.0.2"),
					.pkts = 10,
					.bytes = 1000,
					.icmp_echo = 10 };
	/* New in this interval. */
	s1[2] = (struct xg_src_sample){ .addr = ip4("10.0.0.3"),
					.pkts = 20,
					.bytes = 2000,
					.udp = 20,
					.udp_ports = 3 };
	s1[3] = (struct xg_src_sample){ .addr = ip4("10.0.0.4") };
	qsort(s0, 2, sizeof(s0[0]), cmp_addr);
	qsort(s1, 4, sizeof(s1[0]), cmp_addr);
	r0->src = s0;
	r0->nsrc = 2;
	r1->src = s1;
	r1->nsrc = 4;
}

static const struct xg_src_row *row_of(const struct xg_rates *rt,
				       const char *addr)
{
	struct xg_addr a = ip4(addr);
	size_t i;

	for (i = 0; i < rt->nrows; i++)
		if (!memcmp(&rt->rows[i].s->addr, &a, sizeof(a)))
			return &rt->rows[i];
	fail_msg("no row for %s", addr);
	return NULL;
}

static void test_rates(void **state)
{
	struct xg_reading r0, r1;
	const struct xg_src_row *r;
	struct xg_rates rt;

	readings(&r0, &r1);
	assert_int_equal(xg_rates_compute(&r0, &r1, &rt), 0);
	assert_true(rt.dt == 2.0);
	assert_true(rt.pps[XG_CNT_PASS] == 1000);
	assert_true(rt.bps[XG_CNT_PASS] == 800000);
	assert_true(rt.drop_pps == 200);
	assert_true(rt.total_pps == 1200);
	assert_int_equal(rt.total_pkts, 3400);
	r = row_of(&rt, "10.0.0.1");
	assert_true(r->pps == 500);
	assert_true(r->bps == 240000);
	assert_true(r->syn_ps == 16); /* 0x20 SYNs across the wrap */
	assert_int_equal(r->ports, 40);
	r = row_of(&rt, "10.0.0.2");
	assert_true(r->pps == 5 && r->icmp_ps == 5);
	r = row_of(&rt, "10.0.0.3");
	assert_true(r->pps == 10);
	assert_int_equal(r->ports, 3);
	xg_rates_sort(&rt, XG_BY_PPS);
	assert_true(rt.rows[0].pps == 500 && rt.rows[1].pps == 10 &&
		    rt.rows[2].pps == 5 && rt.rows[3].pps == 0);
	xg_rates_sort(&rt, XG_BY_ICMP_PS);
	assert_true(rt.rows[0].icmp_ps == 5);
	xg_rates_sort(&rt, XG_BY_PORTS);
	assert_int_equal(rt.rows[0].ports, 40);
	xg_rates_free(&rt);
}

static void test_stats_schema(void **state)
{
	struct xg_maps m = { .bans = -1,
			     .allow = -1,
			     .src = -1,
			     .dst = -1,
			     .global = -1,
			     .prefixes = -1,
			     .sources = -1,
			     .meta = -1 };
	struct xg_reading r0, r1;
	json_object *o, *tops, *arr, *c;
	struct xg_rates rt;
	size_t i;

	xg_set_pin_dir("/sys/fs/bpf/xg-unit-none");
	readings(&r0, &r1);
	assert_int_equal(xg_rates_compute(&r0, &r1, &rt), 0);
	o = xg_stats_json(&m, &rt, 2);
	check_schema(o, stats_f);
	check_schema(get(o, "pass"), counter_f);
	check_schema(get(o, "non_ip"), counter_f);
	/* Only reasons with drops. */
	assert_int_equal(json_object_object_length(get(o, "drop")), 1);
	c = get(get(o, "drop"), "syn_flood");
	check_schema(c, counter_f);
	assert_int_equal(json_object_get_int64(get(c, "pkts")), 400);
	assert_true(json_object_get_double(get(c, "pps")) == 200);
	assert_true(json_object_get_double(get(o, "drops_pps")) == 200);
	assert_int_equal(json_object_get_int64(get(o, "tracked_sources")), 4);
	assert_true(json_object_is_type(get(o, "alarms"), json_type_null));
	tops = get(o, "top");
	check_schema(tops, top_f);
	arr = get(tops, "pkts");
	/* --top 2, by cumulative packets. */
	assert_int_equal(json_object_array_length(arr), 2);
	for (i = 0; i < 2; i++)
		check_schema(json_object_array_get_idx(arr, i), source_f);
	c = json_object_array_get_idx(arr, 0);
	assert_string_equal(json_object_get_string(get(c, "addr")), "10.0.0.1");
	assert_string_equal(json_object_get_string(get(c, "state")), "passing");
	assert_true(json_object_is_type(get(c, "ban"), json_type_null));
	/* Sources with nothing to rank by are left out. */
	assert_int_equal(json_object_array_length(get(tops, "icmp_echo")), 1);
	assert_int_equal(json_object_array_length(get(tops, "ports")), 2);
	json_object_put(o);
	xg_rates_free(&rt);
}

static struct xg_event ev(enum xg_event_type t, enum xg_kind k, const char *src,
			  const char *dst, __u64 ts)
{
	struct xg_event e = { .type = t, .kind = k, .ts_ns = ts };

	if (src) {
		e.src = ip4(src);
		e.has_src = true;
	}
	if (dst) {
		e.dst = ip4(dst);
		e.has_dst = true;
	}
	e.value = 500;
	e.threshold = 100;
	return e;
}

static void test_alarms(void **state)
{
	struct xg_alarms *t = malloc(sizeof(*t));
	__u64 now = xg_mono_ns();
	struct xg_event e;
	json_object *arr, *a;
	size_t i;

	xg_alarms_init(t, SEC(12));
	e = ev(XG_EV_ALERT, XG_KIND_SYN_FLOOD, "10.0.0.1", NULL, now - SEC(3));
	xg_alarms_event(t, &e);
	e = ev(XG_EV_BAN, XG_KIND_SYN_FLOOD, "10.0.0.1", NULL, now - SEC(3));
	xg_alarms_event(t, &e);
	/* A later alert of the same does not demote the ban. */
	e = ev(XG_EV_ALERT, XG_KIND_SYN_FLOOD, "10.0.0.1", NULL, now - SEC(3));
	xg_alarms_event(t, &e);
	e = ev(XG_EV_ALERT, XG_KIND_SYN_FLOOD_SPOOFED, NULL, "10.0.0.9",
	       now - SEC(1));
	xg_alarms_event(t, &e);
	/* Unbans are not alarms. */
	e = ev(XG_EV_UNBAN, XG_KIND_SYN_FLOOD, "10.0.0.7", NULL, now);
	xg_alarms_event(t, &e);
	xg_alarms_pressure(t, 1, true, 97, 90, now - SEC(2));
	assert_int_equal(t->n, 3);

	arr = xg_alarms_json(t, now);
	assert_int_equal(json_object_array_length(arr), 3);
	for (i = 0; i < 3; i++)
		check_schema(json_object_array_get_idx(arr, i), alarm_f);
	/* Newest first: the spoofed flood, host pressure, the ban. */
	a = json_object_array_get_idx(arr, 0);
	assert_string_equal(json_object_get_string(get(a, "kind")),
			    "syn_flood_spoofed");
	assert_string_equal(json_object_get_string(get(a, "dst")), "10.0.0.9");
	assert_true(json_object_is_type(get(a, "src"), json_type_null));
	a = json_object_array_get_idx(arr, 1);
	assert_string_equal(json_object_get_string(get(a, "kind")),
			    "host_pressure");
	assert_int_equal(json_object_get_int(get(a, "cpu")), 1);
	assert_int_equal(json_object_get_int(get(a, "value")), 97);
	a = json_object_array_get_idx(arr, 2);
	/* The alert and the ban merged; the ban outranks the alert. */
	assert_string_equal(json_object_get_string(get(a, "action")), "ban");
	assert_int_equal(json_object_get_int(get(a, "count")), 3);
	assert_true(json_object_get_double(get(a, "age_s")) > 2.9);
	json_object_put(arr);

	/* Detections expire after hold; host pressure only when cleared. */
	xg_alarms_expire(t, now + SEC(8));
	assert_int_equal(t->n, 3);
	xg_alarms_expire(t, now + SEC(30));
	assert_int_equal(t->n, 1);
	assert_string_equal(t->a[0].kind, "host_pressure");
	xg_alarms_pressure(t, 1, false, 20, 90, now);
	assert_int_equal(t->n, 0);

	/* Full: the least recently reported makes room. */
	for (i = 0; i < XG_ALARMS_MAX + 5; i++) {
		char a[20];

		snprintf(a, sizeof(a), "10.1.%zu.%zu", i / 250, i % 250);
		e = ev(XG_EV_ALERT, XG_KIND_PORT_SCAN, a, NULL, now + i);
		xg_alarms_event(t, &e);
	}
	assert_int_equal(t->n, XG_ALARMS_MAX);
	assert_int_equal(t->evicted, 5);
	for (i = 0; i < t->n; i++)
		assert_true(t->a[i].last_ns >= now + 5);
	free(t);
}

/* Ethernet + 802.1Q 100 + IPv4 10.77.0.66 > 10.77.0.1 TCP 4444 > 80 SYN */
static const __u8 vlan_syn[] = {
	0,
	1,
	2,
	3,
	4,
	5,
	6,
	7,
	8,
	9,
	10,
	11,
	0x81,
	0x00,
	0x00,
	0x64,
	0x08,
	0x00,
	/* IPv4 */
	0x45,
	0,
	0,
	40,
	0,
	0,
	0x40,
	0,
	64,
	6,
	0,
	0,
	10,
	77,
	0,
	66,
	10,
	77,
	0,
	1,
	/* TCP */
	0x11,
	0x5c,
	0,
	80,
	0,
	0,
	0,
	1,
	0,
	0,
	0,
	0,
	0x50,
	0x02,
	0xff,
	0xff,
	0,
	0,
	0,
	0,
};

/* IPv6 fd77::66 > fd77::1, hop-by-hop, UDP 53 > 5353 */
static const __u8 v6_udp[] = {
	0,
	1,
	2,
	3,
	4,
	5,
	6,
	7,
	8,
	9,
	10,
	11,
	0x86,
	0xdd,
	0x60,
	0,
	0,
	0,
	0,
	16,
	0,
	64,
	0xfd,
	0x77,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0x66,
	0xfd,
	0x77,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0x01,
	/* hop-by-hop: next UDP, length 0 (8 bytes) */
	17,
	0,
	1,
	4,
	0,
	0,
	0,
	0,
	/* UDP */
	0,
	53,
	0x14,
	0xe9,
	0,
	8,
	0,
	0,
};

static void test_decode(void **state)
{
	struct xg_sample_info in;
	char a[64], f[9];
	__u8 frag[sizeof(vlan_syn)];

	xg_sample_decode(vlan_syn, sizeof(vlan_syn), &in);
	assert_int_equal(in.family, 4);
	assert_int_equal(in.nvlan, 1);
	assert_int_equal(in.vlan[0], 100);
	assert_int_equal(in.proto, 6);
	assert_true(in.has_tcp && in.has_ports);
	assert_int_equal(in.sport, 4444);
	assert_int_equal(in.dport, 80);
	assert_string_equal(xg_tcp_flags_str(in.tcp_flags, f), "S");
	assert_string_equal(xg_addr_str(&in.src, a, sizeof(a)), "10.77.0.66");

	xg_sample_decode(v6_udp, sizeof(v6_udp), &in);
	assert_int_equal(in.family, 6);
	assert_int_equal(in.proto, 17);
	assert_int_equal(in.sport, 53);
	assert_int_equal(in.dport, 5353);
	assert_false(in.has_tcp);
	assert_string_equal(xg_addr_str(&in.dst, a, sizeof(a)), "fd77::1");

	/* Cut inside the TCP header: addresses, no ports. */
	xg_sample_decode(vlan_syn, 18 + 20 + 10, &in);
	assert_int_equal(in.family, 4);
	assert_false(in.has_ports);
	/* A later fragment has no transport header. */
	memcpy(frag, vlan_syn, sizeof(frag));
	frag[18 + 7] = 0x10;
	xg_sample_decode(frag, sizeof(frag), &in);
	assert_false(in.has_ports);
	assert_int_equal(in.proto, 6);
	/* Only Ethernet. */
	xg_sample_decode(vlan_syn, 14, &in);
	assert_int_equal(in.family, 0);
	assert_int_equal(in.proto, -1);
	xg_sample_decode(vlan_syn, 3, &in);
	assert_int_equal(in.family, 0);

	assert_string_equal(xg_tcp_flags_str(0x12, f), "SA");
	assert_string_equal(xg_tcp_flags_str(0x00, f), ".");
	assert_string_equal(xg_tcp_flags_str(0xff, f), "FSRPAUEC");
}

static void test_sample_json(void **state)
{
	struct xg_sample_rec r = { .seq = 7, .real_ns = SEC(1700000000) };
	json_object *o;

	r.s.reason = XG_REASON_SYN_FLOOD;
	r.s.pkt_len = 1500;
	r.s.cap_len = sizeof(vlan_syn);
	r.s.ifindex = 1; /* lo, in any namespace */
	memcpy(r.s.data, vlan_syn, sizeof(vlan_syn));
	o = xg_sample_json(&r);
	check_schema(o, sample_f);
	assert_string_equal(json_object_get_string(get(o, "ts")),
			    "2023-11-14T22:13:20.000Z");
	assert_string_equal(json_object_get_string(get(o, "iface")), "lo");
	assert_string_equal(json_object_get_string(get(o, "reason")),
			    "syn_flood");
	assert_string_equal(json_object_get_string(get(o, "tcp_flags")), "S");
	assert_int_equal(json_object_get_int(get(o, "dport")), 80);
	assert_int_equal(json_object_get_int(get(o, "len")), 1500);
	assert_int_equal(strlen(json_object_get_string(get(o, "hex"))),
			 2 * sizeof(vlan_syn));
	assert_memory_equal(json_object_get_string(get(o, "hex")), "0001020304",
			    10);
	json_object_put(o);

	/* Not IP: the keys stay, null. */
	r.s.cap_len = 14;
	r.s.ifindex = 0;
	o = xg_sample_json(&r);
	check_schema(o, sample_f);
	assert_true(json_object_is_type(get(o, "src"), json_type_null));
	assert_true(json_object_is_type(get(o, "iface"), json_type_null));
	assert_int_equal(json_object_array_length(get(o, "vlan")), 0);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_stats_schema),
		cmocka_unit_test(test_alarms),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_sample_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
