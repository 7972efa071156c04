// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-prefix sums of IPv6 sources (user/aggregate.c), judged by the real
 * detector: an attacker spreading a flood or a scan over the addresses of
 * its /64 is caught; clients sharing a /64 and a port are not. And
 * widening: enough bans inside one prefix ban the prefix.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aggregate.h"
#include "parse.h"

#define MS(n) ((__u64)(n)*1000000ULL)
#define S(n) ((__u64)(n)*1000000000ULL)
#define MAXSRC 64

static struct xg_addr addr(const char *s)
{
	struct xg_addr a;

	assert_int_equal(xg_parse_addr(s, &a), 0);
	return a;
}

/* A source map as the daemon reads it: cumulative counters per address. */
struct world {
	struct xg_src_sample src[MAXSRC];
	struct xg_src_sketch sk[MAXSRC];
	size_t n;
};

static struct xg_src_sample *source(struct world *w, const char *s)
{
	struct xg_addr a = addr(s);
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!memcmp(&w->src[i].addr, &a, sizeof(a)))
			return &w->src[i];
	assert_true(w->n < MAXSRC);
	memset(&w->src[w->n], 0, sizeof(w->src[0]));
	memset(&w->sk[w->n], 0, sizeof(w->sk[0]));
	w->src[w->n].addr = a;
	w->src[w->n].first_ns = 1;
	return &w->src[w->n++];
}

static void send_syns(struct world *w, const char *s, __u32 n)
{
	struct xg_src_sample *x = source(w, s);

	x->pkts += n;
	x->bytes += 60ULL * n;
	x->syns += n;
}

static void probe_port(struct world *w, const char *s, __u16 port)
{
	struct xg_src_sample *x = source(w, s);
	__u32 bit = xg_port_bit(port);

	x->pkts++;
	x->syns++;
	w->sk[x - w->src].tcp[bit / 64] |= 1ULL << (bit % 64);
}

static struct xg_agg *agg_new(__u32 len)
{
	struct xg_agg_cfg c = { .v6_prefix = len,
				.active_ns = S(10),
				.min_members = 2 };
	struct xg_agg *g = xg_agg_new(&c);

	assert_non_null(g);
	return g;
}

static const struct xg_src_sample *find(const struct xg_src_sample *s, size_t n,
					const char *prefix_addr)
{
	struct xg_addr a = addr(prefix_addr);
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(&s[i].addr, &a, sizeof(a)))
			return &s[i];
	return NULL;
}

static void one_address_is_no_sum(void **state)
{
	struct xg_agg *g = agg_new(64);
	struct xg_src_sample *out;
	struct world w = {};

	send_syns(&w, "2001:db8:1:2::66", 10);
	assert_int_equal(
		xg_agg_poll(g, S(1), w.src, w.sk, w.n, NULL, NULL, &out), 0);
	send_syns(&w, "2001:db8:1:2::66", 10);
	assert_int_equal(
		xg_agg_poll(g, S(2), w.src, w.sk, w.n, NULL, NULL, &out), 0);
	xg_agg_free(g);
}

/* Deltas add up per /64; the first poll is a baseline, as in detect.c. */
static void sums_per_prefix(void **state)
{
	struct xg_agg *g = agg_new(64);
	const struct xg_src_sample *p;
	struct xg_src_sample *out;
	struct world w = {};
	size_t n, tracked, prefixes;

	send_syns(&w, "2001:db8:1:2::1", 100); /* old counters: baseline */
	send_syns(&w, "2001:db8:1:2::2", 100);
	send_syns(&w, "2001:db8:9::1", 5); /* another /64, alone */
	send_syns(&w, "10.0.0.1", 5); /* IPv4: never summed here */
	assert_int_equal(
		xg_agg_poll(g, S(1), w.src, w.sk, w.n, NULL, NULL, &out), 0);
	tracked = xg_agg_tracked(g, &prefixes);
	assert_int_equal(tracked, 3);
	assert_int_equal(prefixes, 2);

	send_syns(&w, "2001:db8:1:2::1", 7);
	send_syns(&w, "2001:db8:1:2::2", 3);
	send_syns(&w, "2001:db8:1:2:ffff::9", 2); /* new: counts whole */
	n = xg_agg_poll(g, S(2), w.src, w.sk, w.n, NULL, NULL, &out);
	assert_int_equal(n, 1);
	p = find(out, n, "2001:db8:1:2::");
	assert_non_null(p);
	assert_int_equal(p->syns, 12);
	assert_int_equal(p->pkts, 12);
	assert_int_equal(p->first_ns, S(2));

	send_syns(&w, "2001:db8:1:2::2", 5);
	n = xg_agg_poll(g, S(3), w.src, w.sk, w.n, NULL, NULL, &out);
	p = find(out, n, "2001:db8:1:2::");
	assert_non_null(p);
	assert_int_equal(p->syns, 17); /* cumulative */
	assert_int_equal(p->first_ns, S(2));
	xg_agg_free(g);
}

static bool skip_fn(const struct xg_addr *a, void *ctx)
{
	return !memcmp(a, ctx, sizeof(*a));
}

static void skipped_addresses(void **state)
{
	struct xg_agg *g = agg_new(64);
	struct xg_src_sample *out;
	struct world w = {};
	struct xg_addr skip = addr("2001:db8:1:2::1");

	send_syns(&w, "2001:db8:1:2::1", 1);
	send_syns(&w, "2001:db8:1:2::2", 1);
	xg_agg_poll(g, S(1), w.src, w.sk, w.n, skip_fn, &skip, &out);
	send_syns(&w, "2001:db8:1:2::1", 50);
	send_syns(&w, "2001:db8:1:2::2", 50);
	/* Only one address left in the sum: no prefix sample. */
	assert_int_equal(
		xg_agg_poll(g, S(2), w.src, w.sk, w.n, skip_fn, &skip, &out),
		0);
	xg_agg_free(g);
}

/* A prefix that drops out and comes back starts a new series from 0. */
static void series_restarts(void **state)
{
	struct xg_agg *g = agg_new(64);
	const struct xg_src_sample *p;
	struct xg_src_sample *out;
	struct world w = {}, w2 = {};
	size_t n;

	send_syns(&w, "2001:db8:1:2::1", 1);
	send_syns(&w, "2001:db8:1:2::2", 1);
	xg_agg_poll(g, S(1), w.src, w.sk, w.n, NULL, NULL, &out);
	send_syns(&w, "2001:db8:1:2::1", 40);
	send_syns(&w, "2001:db8:1:2::2", 40);
	assert_int_equal(
		xg_agg_poll(g, S(2), w.src, w.sk, w.n, NULL, NULL, &out), 1);
	/* Both addresses go quiet past active_ns: out of the output. */
	assert_int_equal(
		xg_agg_poll(g, S(30), w.src, w.sk, w.n, NULL, NULL, &out), 0);
	send_syns(&w, "2001:db8:1:2::1", 3);
	send_syns(&w, "2001:db8:1:2::2", 4);
	n = xg_agg_poll(g, S(31), w.src, w.sk, w.n, NULL, NULL, &out);
	p = find(out, n, "2001:db8:1:2::");
	assert_non_null(p);
	assert_int_equal(p->syns, 7);
	assert_int_equal(p->first_ns, S(31));
	/* Gone from the map: forgotten. */
	xg_agg_poll(g, S(32), w2.src, w2.sk, 0, NULL, NULL, &out);
	assert_int_equal(xg_agg_tracked(g, NULL), 0);
	xg_agg_free(g);
}

struct seen {
	int bans;
	struct xg_addr src;
	enum xg_kind kind;
};

static void on_event(const struct xg_event *ev, void *ctx)
{
	struct seen *s = ctx;

	if (ev->type != XG_EV_BAN)
		return;
	s->bans++;
	s->src = ev->src;
	s->kind = ev->kind;
}

/*
 * 10 addresses of one /64, each 5 SYNs per 200 ms poll (25/s, far under
 * syn_rate 100/s): per address nothing, summed 250/s, a SYN flood of the
 * prefix.
 */
static void rotating_flood_caught(void **state)
{
	struct xg_detect_cfg c;
	struct xg_detector *d_addr, *d_pfx;
	struct xg_agg *g = agg_new(64);
	struct seen by_addr = {}, by_pfx = {};
	struct xg_src_sample *out;
	struct world w = {};
	struct xg_addr want = addr("2001:db8:66:1::");
	char a[64];
	int t, i;
	size_t n;

	xg_detect_defaults(&c);
	d_addr = xg_detector_new(&c);
	d_pfx = xg_detector_new(&c);
	for (t = 1; t <= 10; t++) {
		for (i = 0; i < 10; i++) {
			snprintf(a, sizeof(a), "2001:db8:66:1::%x", 0x100 + i);
			send_syns(&w, a, 5);
		}
		xg_detector_poll(d_addr, MS(200 * t), w.src, w.n, NULL, 0, NULL,
				 0, NULL, on_event, &by_addr);
		n = xg_agg_poll(g, MS(200 * t), w.src, w.sk, w.n, NULL, NULL,
				&out);
		xg_detector_poll(d_pfx, MS(200 * t), out, n, NULL, 0, NULL, 0,
				 NULL, on_event, &by_pfx);
	}
	assert_int_equal(by_addr.bans, 0);
	assert_int_equal(by_pfx.bans, 1);
	assert_int_equal(by_pfx.kind, XG_KIND_SYN_FLOOD);
	assert_memory_equal(&by_pfx.src, &want, sizeof(want));
	xg_detector_free(d_addr);
	xg_detector_free(d_pfx);
	xg_agg_free(g);
}

/*
 * Ports are united, not added: 30 addresses probing one port each (30
 * different ports) is a scan of the prefix; 30 clients of one /64 all
 * connecting to port 443 is one port.
 */
static void ports_united(void **state)
{
	struct xg_detect_cfg c;
	struct xg_detector *d;
	struct xg_agg *g;
	struct seen scan = {}, clients = {};
	struct xg_src_sample *out;
	struct world w1 = {}, w2 = {};
	char a[64];
	size_t n;
	int t, i, round;

	xg_detect_defaults(&c);
	for (round = 0; round < 2; round++) {
		struct world *w = round ? &w2 : &w1;
		struct seen *s = round ? &clients : &scan;

		g = agg_new(64);
		d = xg_detector_new(&c);
		for (t = 1; t <= 3; t++) {
			for (i = 0; i < 30; i++) {
				snprintf(a, sizeof(a), "2001:db8:77::%x",
					 i + 1);
				/* A fresh sketch per poll window is fine: all
				 * bits stay set as the kernel's would. */
				probe_port(w, a, round ? 443 : 1000 + i);
			}
			n = xg_agg_poll(g, MS(200 * t), w->src, w->sk, w->n,
					NULL, NULL, &out);
			if (n)
				assert_true(round ? out[0].tcp_ports <= 2 :
						    out[0].tcp_ports >= 24);
			xg_detector_poll(d, MS(200 * t), out, n, NULL, 0, NULL,
					 0, NULL, on_event, s);
		}
		xg_detector_free(d);
		xg_agg_free(g);
	}
	assert_int_equal(scan.bans, 1);
	assert_int_equal(scan.kind, XG_KIND_PORT_SCAN);
	assert_int_equal(clients.bans, 0);
}

static void off_at_128(void **state)
{
	struct xg_agg *g = agg_new(128);
	struct xg_src_sample *out;
	struct world w = {};

	send_syns(&w, "2001:db8::1", 1);
	send_syns(&w, "2001:db8::2", 1);
	xg_agg_poll(g, S(1), w.src, w.sk, w.n, NULL, NULL, &out);
	send_syns(&w, "2001:db8::1", 100);
	send_syns(&w, "2001:db8::2", 100);
	assert_int_equal(
		xg_agg_poll(g, S(2), w.src, w.sk, w.n, NULL, NULL, &out), 0);
	xg_agg_free(g);
}

/* ---- widening ---- */

static struct xg_lpm_key key(const char *p)
{
	struct xg_lpm_key k;

	assert_int_equal(xg_parse_prefix(p, &k), 0);
	return k;
}

static void widen_after_three(void **state)
{
	struct xg_widen_cfg c = { .after = 3, .v4_len = 24, .v6_len = 48 };
	struct xg_widen *w = xg_widen_new(&c);
	struct xg_lpm_key k, cover, want = key("198.51.100.0/24");
	char p[64];

	assert_non_null(w);
	k = key("198.51.100.1");
	assert_false(xg_widen_note(w, &k, S(100), S(1), &cover));
	/* The same address again counts once. */
	assert_false(xg_widen_note(w, &k, S(200), S(2), &cover));
	k = key("198.51.101.2"); /* another /24 */
	assert_false(xg_widen_note(w, &k, S(100), S(2), &cover));
	k = key("198.51.100.2");
	assert_false(xg_widen_note(w, &k, S(100), S(3), &cover));
	k = key("198.51.100.3");
	assert_true(xg_widen_note(w, &k, 0, S(4), &cover));
	xg_prefix_str(&cover, p, sizeof(p));
	assert_string_equal(p, "198.51.100.0/24");
	assert_memory_equal(&cover, &want, sizeof(want));
	/* It counts afresh after widening. */
	k = key("198.51.100.4");
	assert_false(xg_widen_note(w, &k, 0, S(5), &cover));
	xg_widen_free(w);
}

static void widen_ignores_expired_and_wide(void **state)
{
	struct xg_widen_cfg c = { .after = 2, .v4_len = 24, .v6_len = 48 };
	struct xg_widen *w = xg_widen_new(&c);
	struct xg_lpm_key k, cover;
	char p[64];

	k = key("203.0.113.1");
	assert_false(xg_widen_note(w, &k, S(10), S(1), &cover));
	k = key("203.0.113.2");
	/* The first expired at 10 s: one live ban only. */
	assert_false(xg_widen_note(w, &k, S(100), S(11), &cover));
	/* As wide as the cover, or wider: not counted. */
	k = key("203.0.113.0/24");
	assert_false(xg_widen_note(w, &k, 0, S(12), &cover));
	k = key("203.0.0.0/16");
	assert_false(xg_widen_note(w, &k, 0, S(12), &cover));
	/* IPv6 /64 bans widen to /48. */
	k = key("2001:db8:5:1::/64");
	assert_false(xg_widen_note(w, &k, 0, S(13), &cover));
	k = key("2001:db8:5:2::/64");
	assert_true(xg_widen_note(w, &k, 0, S(13), &cover));
	xg_prefix_str(&cover, p, sizeof(p));
	assert_string_equal(p, "2001:db8:5::/48");
	/* gc forgets covers whose bans all expired. */
	assert_int_equal(xg_widen_gc(w, S(1000)), 0);
	xg_widen_free(w);
}

struct last_ban {
	int n;
	__u32 repeat;
	__u64 ttl;
};

static void on_ban(const struct xg_event *ev, void *ctx)
{
	struct last_ban *b = ctx;

	if (ev->type != XG_EV_BAN)
		return;
	b->n++;
	b->repeat = ev->repeat;
	b->ttl = ev->ttl_ns;
}

/*
 * A restarted daemon seeds its detector with the bans it finds: the next
 * offense of a repeat offender escalates from there instead of from 1.
 */
static void seeded_repeat_escalates(void **state)
{
	struct xg_detect_cfg c;
	struct xg_detector *d;
	struct last_ban b = {};
	struct world w = {};
	struct xg_addr a = addr("198.51.100.9");
	int t;

	xg_detect_defaults(&c);
	d = xg_detector_new(&c);
	/* Banned three times; the last ban ended at 100 s. */
	xg_detector_seed(d, &a, 3, S(100));
	for (t = 1; t <= 5; t++) {
		send_syns(&w, "198.51.100.9", 60);
		xg_detector_poll(d, S(200) + MS(200 * t), w.src, w.n, NULL, 0,
				 NULL, 0, NULL, on_ban, &b);
	}
	assert_int_equal(b.n, 1);
	assert_int_equal(b.repeat, 4);
	assert_int_equal(b.ttl, c.ban_ttl_ns * 8);
	xg_detector_free(d);
}

static void bad_configs(void **state)
{
	struct xg_widen_cfg wc = { .after = 0, .v4_len = 24, .v6_len = 48 };
	struct xg_agg_cfg ac = { .v6_prefix = 0, .min_members = 2 };

	assert_null(xg_widen_new(&wc));
	wc.after = 2;
	wc.v4_len = 32;
	assert_null(xg_widen_new(&wc));
	assert_null(xg_agg_new(&ac));
	ac.v6_prefix = 64;
	ac.min_members = 0;
	assert_null(xg_agg_new(&ac));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_address_is_no_sum),
		cmocka_unit_test(sums_per_prefix),
		cmocka_unit_test(skipped_addresses),
		cmocka_unit_test(series_restarts),
		cmocka_unit_test(rotating_flood_caught),
		cmocka_unit_test(ports_united),
		cmocka_unit_test(off_at_128),
		cmocka_unit_test(widen_after_three),
		cmocka_unit_test(widen_ignores_expired_and_wide),
		cmocka_unit_test(seeded_repeat_escalates),
		cmocka_unit_test(bad_configs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
