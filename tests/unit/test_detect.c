// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests of the detection engine (user/detect.c): synthetic cumulative
 * counter series on a fake clock, polled every 200 ms as the daemon does.
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

#include <cmocka.h>

#include "detect.h"

#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#define MS(x) ((__u64)(x)*1000000ULL)
#define SEC(x) ((__u64)(x)*1000000000ULL)
#define T0 SEC(100000) /* fake CLOCK_MONOTONIC at the first poll */
#define POLL MS(200)
#define HOST 0x0a000001 /* 10.0.0.1, the usual offender */
#define MAX_EV 256

struct sim {
	struct xg_detector *d;
	struct xg_detect_cfg cfg;
	__u64 now;
	struct xg_event ev[MAX_EV];
	size_t nev; /* may exceed MAX_EV: only the first are kept */
	struct xg_addr allow;
	bool has_allow;
};

static struct xg_addr ip4(__u32 host)
{
	struct xg_addr a = { .a = { [10] = 0xff, [11] = 0xff } };
	__u32 be = htonl(host);

	memcpy(&a.a[12], &be, 4);
	return a;
}

static const char *astr(const struct xg_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a->a, buf, INET6_ADDRSTRLEN);
}

static void on_event(const struct xg_event *ev, void *ctx)
{
	struct sim *m = ctx;

	if (m->nev < MAX_EV)
		m->ev[m->nev] = *ev;
	m->nev++;
}

static bool on_allowed(const struct xg_addr *a, void *ctx)
{
	struct sim *m = ctx;

	return m->has_allow && !memcmp(a, &m->allow, sizeof(*a));
}

/* Starts a detector with cfg (defaults if NULL) at T0. */
static void sim_start(struct sim *m, const struct xg_detect_cfg *cfg)
{
	memset(m, 0, sizeof(*m));
	if (cfg)
		m->cfg = *cfg;
	else
		xg_detect_defaults(&m->cfg);
	m->d = xg_detector_new(&m->cfg);
	assert_non_null(m->d);
	m->now = T0;
}

static void sim_poll(struct sim *m, const struct xg_src_sample *src,
		     size_t nsrc, const struct xg_dst_sample *dst, size_t ndst,
		     const struct xg_conn_count *cc, size_t ncc)
{
	xg_detector_poll(m->d, m->now, src, nsrc, dst, ndst, cc, ncc,
			 on_allowed, on_event, m);
}

/* Events of type (or -1 for any) and kind (or -1 for any). */
static size_t nevents(const struct sim *m, int type, int kind)
{
	size_t i, n = 0;

	for (i = 0; i < m->nev && i < MAX_EV; i++)
		n += (type < 0 || m->ev[i].type == (enum xg_event_type)type) &&
		     (kind < 0 || m->ev[i].kind == (enum xg_kind)kind);
	return n;
}

static void dump_events(const struct sim *m)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < m->nev && i < MAX_EV; i++)
		print_message(
			"  #%zu %s %s src=%s value=%llu thr=%llu t=%llums\n", i,
			xg_event_type_name(m->ev[i].type),
			xg_kind_name(m->ev[i].kind), astr(&m->ev[i].src, a),
			(unsigned long long)m->ev[i].value,
			(unsigned long long)m->ev[i].threshold,
			(unsigned long long)(m->ev[i].ts_ns - T0) / 1000000);
}

static void expect_nevents(const struct sim *m, size_t want, const char *what)
{
	if (m->nev != want) {
		dump_events(m);
		fail_msg("%s: %zu events, want %zu", what, m->nev, want);
	}
}

static void src_init(struct xg_src_sample *s, __u32 host, __u64 first_ns)
{
	memset(s, 0, sizeof(*s));
	s->addr = ip4(host);
	s->first_ns = s->last_ns = first_ns;
}

/* Counts packets as the kernel would: SYNs and echoes are packets too. */
static void src_add(struct xg_src_sample *s, __u64 now, __u32 syns, __u32 icmp,
		    __u64 other)
{
	s->syns += syns;
	s->icmp_echo += icmp;
	s->pkts += syns + icmp + other;
	s->bytes += 64 * (syns + icmp + other);
	if (syns || icmp || other)
		s->last_ns = now;
}

/* ---- the port sketch estimator ---- */

static void test_ports_estimate(void **state)
{
	static const struct {
		unsigned int bits, want;
	} cases[] = {
		{ 0, 0 },     { 1, 1 },	    { 2, 2 }, { 24, 27 },
		{ 64, 89 },   { 127, 621 }, /* round(-128 ln(1/128)) */
		{ 128, 621 }, /* saturated: round(128 ln 128) */
	};
	__u64 w[XG_PORT_WORDS];
	unsigned int i, b;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(w, 0, sizeof(w));
		/* Every third bit, wrapping, so all words take part. */
		for (b = 0; b < cases[i].bits; b++) {
			unsigned int bit = (b * 3) % XG_PORT_BITS;

			if (cases[i].bits == XG_PORT_BITS)
				bit = b;
			w[bit / 64] |= 1ULL << (bit % 64);
		}
		if (xg_ports_estimate(w) != cases[i].want)
			fail_msg("%u bits: estimate %u, want %u", cases[i].bits,
				 xg_ports_estimate(w), cases[i].want);
	}
}

/*
 * The XDP program's trip: the fewest bits whose estimate reaches the
 * threshold, so that it bans exactly where the daemon would (the daemon's
 * sketch, merged over CPUs, has at least the bits of any one CPU's).
 */
static void test_scan_trip_bits(void **state)
{
	__u64 w[XG_PORT_WORDS];
	unsigned int ports, b, i;

	(void)state;
	assert_int_equal(xg_scan_trip_bits(24), 22);
	for (ports = 2; ports <= 700; ports++) {
		b = xg_scan_trip_bits(ports);
		memset(w, 0, sizeof(w));
		for (i = 0; b && i < b - 1; i++)
			w[i / 64] |= 1ULL << (i % 64);
		if (b && xg_ports_estimate(w) >= ports)
			fail_msg("%u ports: %u bits trip, %u would do", ports,
				 b, b - 1);
		if (b)
			w[(b - 1) / 64] |= 1ULL << ((b - 1) % 64);
		if (b && xg_ports_estimate(w) < ports)
			fail_msg("%u ports: %u bits estimate only %u", ports, b,
				 xg_ports_estimate(w));
		/* 0: no sketch reaches it, so neither trips. */
		if (!b && ports <= 621)
			fail_msg("%u ports: no trip", ports);
		if (b && ports > 621)
			fail_msg("%u ports: trips at %u bits", ports, b);
	}
}

/* ---- each detector at its threshold, and one below ---- */

enum feed {
	F_SYN, /* SYNs only */
	F_SYN_LOW, /* SYNs that are a third of the packets */
	F_ICMP,
	F_TCP_PORTS,
	F_UDP_PORTS,
	F_EST, /* established sockets (sock_diag) */
};

struct thr_case {
	const char *name;
	enum feed what;
	unsigned int polls; /* the amount arrives spread over these polls */
	enum xg_kind kind;
	const char *proto;
	__u32 threshold;
	__u64 window_ns;
	__u32 reason;
};

static const struct thr_case thr_cases[] = {
	{ "syn burst", F_SYN, 1, XG_KIND_SYN_FLOOD, NULL, 100, SEC(1),
	  XG_REASON_SYN_FLOOD },
	{ "syn over 1 s", F_SYN, 5, XG_KIND_SYN_FLOOD, NULL, 100, SEC(1),
	  XG_REASON_SYN_FLOOD },
	{ "icmp burst", F_ICMP, 1, XG_KIND_ICMP_FLOOD, NULL, 100, SEC(1),
	  XG_REASON_ICMP_FLOOD },
	{ "icmp over 1 s", F_ICMP, 5, XG_KIND_ICMP_FLOOD, NULL, 100, SEC(1),
	  XG_REASON_ICMP_FLOOD },
	{ "tcp ports", F_TCP_PORTS, 1, XG_KIND_PORT_SCAN, "tcp", 24, 0,
	  XG_REASON_PORT_SCAN },
	{ "tcp ports over 4 s", F_TCP_PORTS, 20, XG_KIND_PORT_SCAN, "tcp", 24,
	  0, XG_REASON_PORT_SCAN },
	{ "udp ports", F_UDP_PORTS, 1, XG_KIND_PORT_SCAN, "udp", 24, 0,
	  XG_REASON_PORT_SCAN },
	{ "syns at low share", F_SYN_LOW, 1, XG_KIND_CONN_FLOOD, NULL, 100,
	  SEC(1), XG_REASON_CONN_FLOOD },
	{ "connections over 10 s", F_SYN_LOW, 50, XG_KIND_CONN_FLOOD, NULL, 150,
	  SEC(10), XG_REASON_CONN_FLOOD },
	{ "established", F_EST, 1, XG_KIND_CONN_FLOOD, NULL, 100, 0,
	  XG_REASON_CONN_FLOOD },
};

/*
 * A baseline poll, then amount spread evenly over the next polls, 200 ms
 * apart (cumulative amount * i / polls after poll i).
 */
static void feed_amount(struct sim *m, enum feed what, unsigned int polls,
			__u32 amount)
{
	struct xg_src_sample s;
	struct xg_conn_count cc = { .addr = ip4(HOST) };
	unsigned int i;

	src_init(&s, HOST, T0 - SEC(5));
	sim_poll(m, &s, 1, NULL, 0, NULL, 0);
	for (i = 1; i <= polls; i++) {
		__u32 upto = (__u64)amount * i / polls;
		__u32 part = upto - (__u64)amount * (i - 1) / polls;

		m->now += POLL;
		switch (what) {
		case F_SYN:
			src_add(&s, m->now, part, 0, 0);
			break;
		case F_SYN_LOW:
			src_add(&s, m->now, part, 0, 2 * part);
			break;
		case F_ICMP:
			src_add(&s, m->now, 0, part, 0);
			break;
		case F_TCP_PORTS:
			src_add(&s, m->now, 1, 0, 0);
			s.tcp_ports = upto;
			break;
		case F_UDP_PORTS:
			src_add(&s, m->now, 0, 0, 1);
			s.udp++;
			s.udp_ports = upto;
			break;
		case F_EST:
			src_add(&s, m->now, 0, 0, 10);
			cc.established = upto;
			break;
		}
		sim_poll(m, &s, 1, NULL, 0, &cc, what == F_EST);
	}
}

static void test_thresholds(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(thr_cases); i++) {
		const struct thr_case *tc = &thr_cases[i];
		char a[INET6_ADDRSTRLEN];
		struct xg_addr want = ip4(HOST);
		const struct xg_event *ev = NULL;
		struct sim m;
		int j;

		print_message("  case '%s'\n", tc->name);
		sim_start(&m, NULL);
		feed_amount(&m, tc->what, tc->polls, tc->threshold - 1);
		expect_nevents(&m, 0, tc->name);
		xg_detector_free(m.d);

		sim_start(&m, NULL);
		feed_amount(&m, tc->what, tc->polls, tc->threshold);
		expect_nevents(&m, 2, tc->name);
		for (j = 0; j < 2; j++) {
			ev = &m.ev[j];
			assert_int_equal(ev->type, j ? XG_EV_BAN : XG_EV_ALERT);
			assert_int_equal(ev->kind, tc->kind);
			assert_true(ev->has_src);
			assert_false(ev->has_dst);
			if (memcmp(&ev->src, &want, sizeof(want)))
				fail_msg("%s: src %s", tc->name,
					 astr(&ev->src, a));
			assert_int_equal(ev->value, tc->threshold);
			assert_int_equal(ev->threshold, tc->threshold);
			assert_int_equal(ev->window_ns, tc->window_ns);
			assert_int_equal(ev->reason, tc->reason);
			assert_int_equal(ev->ts_ns, m.now);
			if (tc->proto)
				assert_string_equal(ev->proto, tc->proto);
			else
				assert_null(ev->proto);
		}
		assert_int_equal(ev->ttl_ns, SEC(600));
		assert_int_equal(ev->repeat, 1);
		xg_detector_free(m.d);
	}
}

/* ---- sliding windows ---- */

/*
 * The threshold spread evenly over one poll more than the window fits: any
 * window holds less than all of it.
 */
static void test_spread_wider_than_window(void **state)
{
	static const struct {
		enum feed what;
		unsigned int polls;
		__u32 amount;
	} cases[] = {
		{ F_SYN, 6, 100 },
		{ F_ICMP, 6, 100 },
		{ F_SYN_LOW, 51, 150 },
	};
	struct sim m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		sim_start(&m, NULL);
		feed_amount(&m, cases[i].what, cases[i].polls, cases[i].amount);
		expect_nevents(&m, 0, "spread wider than the window");
		xg_detector_free(m.d);
	}
}

/*
 * Half the threshold, then the other half gap later, polling every 200 ms
 * in between: inside the window when gap < W, out of it when gap == W
 * (a count within W takes polls at now - W < t <= now).
 */
static void test_window_edge(void **state)
{
	static const struct {
		const char *name;
		enum feed what;
		__u32 half;
		__u64 gap;
		int kind; /* -1: nothing */
	} cases[] = {
		{ "syn 0.8 s", F_SYN, 50, MS(800), XG_KIND_SYN_FLOOD },
		{ "syn 1 s", F_SYN, 50, SEC(1), -1 },
		{ "icmp 0.8 s", F_ICMP, 50, MS(800), XG_KIND_ICMP_FLOOD },
		{ "icmp 1 s", F_ICMP, 50, SEC(1), -1 },
		{ "conn 9.8 s", F_SYN_LOW, 75, MS(9800), XG_KIND_CONN_FLOOD },
		{ "conn 10 s", F_SYN_LOW, 75, SEC(10), -1 },
	};
	struct xg_src_sample s;
	struct sim m;
	size_t i;
	__u64 t;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u32 syn = cases[i].what == F_ICMP ? 0 : cases[i].half;
		__u32 icmp = cases[i].what == F_ICMP ? cases[i].half : 0;
		__u64 other = cases[i].what == F_SYN_LOW ? 2 * syn : 0;

		sim_start(&m, NULL);
		src_init(&s, HOST, T0 - SEC(5));
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		m.now += POLL;
		src_add(&s, m.now, syn, icmp, other);
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		for (t = POLL; t < cases[i].gap; t += POLL) {
			m.now += POLL;
			sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		}
		m.now += POLL;
		src_add(&s, m.now, syn, icmp, other);
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		expect_nevents(&m, cases[i].kind < 0 ? 0 : 2, cases[i].name);
		if (cases[i].kind >= 0) {
			assert_int_equal(m.ev[0].kind, cases[i].kind);
			assert_int_equal(m.ev[0].value, 2 * cases[i].half);
		}
		xg_detector_free(m.d);
	}
}

/* ---- SYN share: syn_flood or conn_flood ---- */

static void test_syn_ratio(void **state)
{
	static const struct {
		__u32 syns;
		__u64 pkts;
		int kind; /* -1: nothing */
	} cases[] = {
		{ 100, 100, XG_KIND_SYN_FLOOD },
		{ 100, 200, XG_KIND_SYN_FLOOD },
		{ 100, 250, XG_KIND_SYN_FLOOD }, /* exactly 0.4 */
		{ 100, 251, XG_KIND_CONN_FLOOD },
		{ 100, 1000, XG_KIND_CONN_FLOOD },
		{ 99, 100, -1 },
		{ 99, 1000, -1 },
	};
	struct xg_src_sample s;
	struct sim m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		sim_start(&m, NULL);
		src_init(&s, HOST, T0 - SEC(5));
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		m.now += POLL;
		src_add(&s, m.now, cases[i].syns, 0,
			cases[i].pkts - cases[i].syns);
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		if (cases[i].kind < 0) {
			expect_nevents(&m, 0, "syn share");
		} else {
			expect_nevents(&m, 2, "syn share");
			if (m.ev[0].kind != (enum xg_kind)cases[i].kind)
				fail_msg("%u SYNs of %llu packets: %s, want %s",
					 cases[i].syns,
					 (unsigned long long)cases[i].pkts,
					 xg_kind_name(m.ev[0].kind),
					 xg_kind_name(cases[i].kind));
			assert_int_equal(m.ev[0].threshold, 100);
			assert_int_equal(m.ev[0].window_ns, SEC(1));
		}
		xg_detector_free(m.d);
	}
}

/* ---- bans: escalation, no re-ban while banned, dry run, allowlist ---- */

/*
 * One offense by a source whose kernel entry was deleted at its last ban:
 * it comes back with fresh counters.
 */
static void offend(struct sim *m, __u32 host)
{
	struct xg_src_sample s;

	src_init(&s, host, m->now - MS(100));
	src_add(&s, m->now, 500, 0, 0);
	sim_poll(m, &s, 1, NULL, 0, NULL, 0);
}

static const struct xg_event *last_ban(const struct sim *m)
{
	size_t i = m->nev < MAX_EV ? m->nev : MAX_EV;

	while (i--)
		if (m->ev[i].type == XG_EV_BAN)
			return &m->ev[i];
	fail_msg("no ban");
	return NULL;
}

static void test_escalation(void **state)
{
	/* TTLs in seconds: doubling from 10 min up to the 24 h cap. */
	static const __u64 ttl[] = { 600,   1200,  2400,  4800,	 9600,
				     19200, 38400, 76800, 86400, 86400 };
	const struct xg_event *ev;
	struct sim m;
	size_t i;

	(void)state;
	sim_start(&m, NULL);
	sim_poll(&m, NULL, 0, NULL, 0, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(ttl); i++) {
		m.now += MS(500);
		offend(&m, HOST);
		ev = last_ban(&m);
		assert_int_equal(ev->ts_ns, m.now);
		assert_int_equal(ev->repeat, i + 1);
		if (ev->ttl_ns != SEC(ttl[i]))
			fail_msg("offense %zu: ttl %llu s, want %llu s", i + 1,
				 (unsigned long long)ev->ttl_ns / SEC(1),
				 (unsigned long long)ttl[i]);
		/* The next offense a minute after the ban ended. */
		m.now += ev->ttl_ns + SEC(60);
		sim_poll(&m, NULL, 0, NULL, 0, NULL, 0);
	}

	/* Exactly repeat_window after the end of the last ban: still a repeat. */
	m.now += SEC(86400) - SEC(60);
	offend(&m, HOST);
	ev = last_ban(&m);
	assert_int_equal(ev->repeat, ARRAY_SIZE(ttl) + 1);
	assert_int_equal(ev->ttl_ns, SEC(86400));

	/* Past repeat_window after it: a first offense again. */
	m.now += SEC(86400) + SEC(86400) + 1;
	offend(&m, HOST);
	ev = last_ban(&m);
	assert_int_equal(ev->repeat, 1);
	assert_int_equal(ev->ttl_ns, SEC(600));
	assert_int_equal(nevents(&m, XG_EV_BAN, -1), ARRAY_SIZE(ttl) + 2);
	assert_int_equal(nevents(&m, XG_EV_ALERT, -1), ARRAY_SIZE(ttl) + 2);
	xg_detector_free(m.d);
}

/*
 * A flood that keeps being counted (say the daemon could not delete its
 * entry): one ban, silence until the TTL is over, then a second ban.
 */
static void test_no_reban_while_banned(void **state)
{
	struct xg_detect_cfg c;
	struct xg_src_sample s;
	struct sim m;
	__u64 banned_at = 0;

	(void)state;
	xg_detect_defaults(&c);
	c.ban_ttl_ns = SEC(60);
	sim_start(&m, &c);
	src_init(&s, HOST, T0 - SEC(5));
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	while (m.nev < 4 && m.now < T0 + SEC(120)) {
		m.now += POLL;
		src_add(&s, m.now, 300, 30, 30);
		s.tcp_ports = 40;
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		if (m.nev == 2 && !banned_at)
			banned_at = m.now;
	}
	expect_nevents(&m, 4, "flood through a ban");
	assert_int_equal(m.ev[1].type, XG_EV_BAN);
	assert_int_equal(m.ev[1].repeat, 1);
	assert_int_equal(banned_at, T0 + POLL);
	/* Re-detected at the first poll once the 60 s are over. */
	assert_int_equal(m.ev[2].type, XG_EV_ALERT);
	assert_int_equal(m.ev[3].type, XG_EV_BAN);
	assert_int_equal(m.ev[3].ts_ns, banned_at + SEC(60));
	assert_int_equal(m.ev[3].repeat, 2);
	assert_int_equal(m.ev[3].ttl_ns, SEC(120));
	xg_detector_free(m.d);
}

/*
 * 25 s of a SYN flood from HOST and, in the same polls, from a second
 * source: dry run or allowlisted, HOST is reported every realert (10 s).
 */
static void flood_25s(struct sim *m)
{
	struct xg_src_sample s[2];

	src_init(&s[0], HOST, T0 - SEC(5));
	src_init(&s[1], HOST + 1, T0 - SEC(5));
	sim_poll(m, s, 2, NULL, 0, NULL, 0);
	while (m->now < T0 + SEC(25)) {
		m->now += POLL;
		src_add(&s[0], m->now, 200, 0, 0);
		src_add(&s[1], m->now, 200, 0, 0);
		sim_poll(m, s, 2, NULL, 0, NULL, 0);
	}
}

static void test_dry_run(void **state)
{
	struct xg_detect_cfg c;
	struct sim m;
	size_t i;

	(void)state;
	xg_detect_defaults(&c);
	c.dry_run = true;
	sim_start(&m, &c);
	flood_25s(&m);
	/* Two sources, reported at 0.2 s, 10.2 s and 20.2 s. */
	expect_nevents(&m, 6, "dry run");
	assert_int_equal(nevents(&m, XG_EV_ALERT, XG_KIND_SYN_FLOOD), 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(m.ev[i].ts_ns, T0 + POLL + SEC(10) * (i / 2));
	xg_detector_free(m.d);
}

static void test_allowlisted(void **state)
{
	struct xg_addr other = ip4(HOST + 1);
	struct sim m;
	size_t i;

	(void)state;
	sim_start(&m, NULL);
	m.allow = ip4(HOST);
	m.has_allow = true;
	flood_25s(&m);
	/* HOST: alert + suppressed three times; the other one banned once. */
	expect_nevents(&m, 8, "allowlisted");
	assert_int_equal(nevents(&m, XG_EV_SUPPRESSED, XG_KIND_SYN_FLOOD), 3);
	assert_int_equal(nevents(&m, XG_EV_BAN, -1), 1);
	for (i = 0; i < m.nev; i++) {
		bool is_other = !memcmp(&m.ev[i].src, &other, sizeof(other));

		if (m.ev[i].type == XG_EV_BAN)
			assert_true(is_other);
		if (m.ev[i].type == XG_EV_SUPPRESSED) {
			assert_false(is_other);
			assert_int_equal(m.ev[i - 1].type, XG_EV_ALERT);
		}
	}
	xg_detector_free(m.d);
}

/*
 * What a source did before its ban was paid for by the ban: with a ban
 * shorter than the 10 s connection window, the SYNs from before it must
 * not add to those after it.
 */
static void test_ban_clears_windows(void **state)
{
	struct xg_detect_cfg c;
	struct xg_src_sample s;
	struct sim m;

	(void)state;
	xg_detect_defaults(&c);
	c.ban_ttl_ns = SEC(2);
	sim_start(&m, &c);
	src_init(&s, HOST, T0 - SEC(5));
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	m.now += POLL;
	src_add(&s, m.now, 90, 0, 1000);
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	/* Past the 1 s SYN window, within the 10 s connection window. */
	m.now += MS(1200);
	src_add(&s, m.now, 60, 0, 0);
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	expect_nevents(&m, 2, "conn flood");
	assert_int_equal(m.ev[0].kind, XG_KIND_CONN_FLOOD);
	assert_int_equal(m.ev[0].value, 150);
	assert_int_equal(m.ev[0].threshold, 150);
	/* 10 more SYNs once the ban is over: 160 within 10 s, but no news. */
	m.now += SEC(2);
	src_add(&s, m.now, 10, 0, 0);
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	expect_nevents(&m, 2, "after the ban");
	xg_detector_free(m.d);
}

/* The operator unbans: judged afresh at once, the repeat count kept. */
static void test_forget(void **state)
{
	struct xg_addr a = ip4(HOST);
	struct sim m;

	(void)state;
	sim_start(&m, NULL);
	sim_poll(&m, NULL, 0, NULL, 0, NULL, 0);
	m.now += POLL;
	offend(&m, HOST);
	assert_int_equal(last_ban(&m)->repeat, 1);
	/*
	 * Its state is forgotten while it is away, not its ban: banned, it is
	 * kept while its windows may matter (the longest is 10 s), not after.
	 */
	m.now += SEC(1);
	sim_poll(&m, NULL, 0, NULL, 0, NULL, 0);
	assert_int_equal(xg_detector_tracked(m.d), 1);
	while (m.now < T0 + SEC(30)) {
		m.now += SEC(1);
		sim_poll(&m, NULL, 0, NULL, 0, NULL, 0);
	}
	assert_int_equal(xg_detector_tracked(m.d), 0);
	offend(&m, HOST);
	expect_nevents(&m, 2, "while banned");
	xg_detector_forget(m.d, &a);
	m.now += POLL;
	offend(&m, HOST);
	expect_nevents(&m, 4, "after forget");
	assert_int_equal(last_ban(&m)->repeat, 2);
	assert_int_equal(last_ban(&m)->ttl_ns, SEC(1200));
	xg_detector_free(m.d);
}

/* ---- spoofed floods ---- */

#define NSPOOF 5000

static bool kernel_has_ban;

static bool in_kernel(const struct xg_addr *a, void *ctx)
{
	(void)a;
	(void)ctx;
	return kernel_has_ban;
}

/*
 * `xdpguard unban` deletes the ban from the kernel's table behind the
 * detector's back: once the sync sees it gone, the source's next offense
 * is judged again (a repeat), not taken for a trickle before its ban.
 */
static void test_operator_unban(void **state)
{
	struct sim m;

	(void)state;
	sim_start(&m, NULL);
	sim_poll(&m, NULL, 0, NULL, 0, NULL, 0);
	m.now += POLL;
	offend(&m, HOST);
	expect_nevents(&m, 2, "first offense");
	kernel_has_ban = true;
	xg_detector_sync_bans(m.d, m.now, in_kernel, NULL);
	m.now += POLL;
	offend(&m, HOST);
	expect_nevents(&m, 2, "while the kernel holds the ban");
	kernel_has_ban = false;
	xg_detector_sync_bans(m.d, m.now, in_kernel, NULL);
	m.now += POLL;
	offend(&m, HOST);
	expect_nevents(&m, 4, "once the operator unbanned it");
	assert_int_equal(last_ban(&m)->repeat, 2);
	assert_int_equal(last_ban(&m)->ttl_ns, SEC(1200));
	xg_detector_free(m.d);
}

/*
 * The XDP program's own port-scan ban, with the sketch out of the
 * detector's sight: reported and decided as a scan at the threshold, once.
 */
static void test_adopt(void **state)
{
	struct xg_addr a = ip4(HOST), b = ip4(HOST + 1);
	struct xg_detect_cfg c;
	struct xg_src_sample s;
	struct sim m;

	(void)state;
	sim_start(&m, NULL);
	src_init(&s, HOST, T0 - SEC(5));
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	m.now += POLL;
	src_add(&s, m.now, 24, 0, 0);
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0); /* tcp_ports 0: a new window */
	expect_nevents(&m, 0, "sketch out of sight");
	xg_detector_adopt(m.d, m.now, &a, XG_KIND_PORT_SCAN, on_allowed,
			  on_event, &m);
	expect_nevents(&m, 2, "adopted");
	assert_int_equal(m.ev[0].type, XG_EV_ALERT);
	assert_int_equal(m.ev[1].type, XG_EV_BAN);
	assert_int_equal(m.ev[1].kind, XG_KIND_PORT_SCAN);
	assert_int_equal(m.ev[1].reason, XG_REASON_PORT_SCAN);
	assert_int_equal(m.ev[1].value, 24);
	assert_int_equal(m.ev[1].threshold, 24);
	assert_int_equal(m.ev[1].repeat, 1);
	assert_int_equal(m.ev[1].ttl_ns, SEC(600));
	assert_memory_equal(&m.ev[1].src, &a, sizeof(a));
	/* Held now: neither a second adoption nor its sketch is news. */
	xg_detector_adopt(m.d, m.now, &a, XG_KIND_PORT_SCAN, on_allowed,
			  on_event, &m);
	m.now += POLL;
	src_add(&s, m.now, 1, 0, 0);
	s.tcp_ports = 30;
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	expect_nevents(&m, 2, "adopted twice");
	/* Its end, once over and until reported (forget). */
	assert_int_equal(xg_detector_ended(m.d, &a, m.now), 0);
	assert_int_equal(xg_detector_ended(m.d, &a, m.now + SEC(600)),
			 XG_REASON_PORT_SCAN);
	assert_int_equal(xg_detector_ended(m.d, &b, m.now + SEC(600)), 0);
	/* Forgotten (expired), then tripped again: a repeat. */
	xg_detector_forget(m.d, &a);
	assert_int_equal(xg_detector_ended(m.d, &a, m.now + SEC(600)), 0);
	xg_detector_adopt(m.d, m.now, &a, XG_KIND_PORT_SCAN, on_allowed,
			  on_event, &m);
	expect_nevents(&m, 4, "adopted again");
	assert_int_equal(m.ev[3].repeat, 2);
	/* Not a kind the program bans on its own. */
	xg_detector_adopt(m.d, m.now, &b, XG_KIND_SYN_FLOOD_SPOOFED, on_allowed,
			  on_event, &m);
	expect_nevents(&m, 4, "spoofed kind");
	xg_detector_free(m.d);

	/* Allowlisted since: suppressed; a dry run: alert only. */
	sim_start(&m, NULL);
	m.allow = b;
	m.has_allow = true;
	xg_detector_adopt(m.d, m.now, &b, XG_KIND_PORT_SCAN, on_allowed,
			  on_event, &m);
	expect_nevents(&m, 2, "allowlisted");
	assert_int_equal(m.ev[1].type, XG_EV_SUPPRESSED);
	xg_detector_free(m.d);
	xg_detect_defaults(&c);
	c.dry_run = true;
	sim_start(&m, &c);
	xg_detector_adopt(m.d, m.now, &b, XG_KIND_PORT_SCAN, on_allowed,
			  on_event, &m);
	expect_nevents(&m, 1, "dry run");
	assert_int_equal(m.ev[0].type, XG_EV_ALERT);
	xg_detector_free(m.d);
}

static void test_spoofed_flood(void **state)
{
	struct xg_dst_sample victim = { .addr = ip4(0xc0000201) };
	struct xg_src_sample *s = calloc(NSPOOF, sizeof(*s));
	char a[INET6_ADDRSTRLEN];
	struct sim m;
	int i, p;

	(void)state;
	assert_non_null(s);
	sim_start(&m, NULL);
	sim_poll(&m, NULL, 0, &victim, 1, NULL, 0);
	for (i = 0; i < NSPOOF; i++)
		src_init(&s[i], 0x64000000 + i * 7, T0 + MS(100));
	for (p = 0; p < 10; p++) {
		m.now += POLL;
		for (i = 0; i < NSPOOF; i++)
			src_add(&s[i], m.now, 1, 0, 0);
		victim.syns += NSPOOF;
		sim_poll(&m, s, NSPOOF, &victim, 1, NULL, 0);
	}
	expect_nevents(&m, 1, "spoofed flood");
	assert_int_equal(m.ev[0].type, XG_EV_ALERT);
	assert_int_equal(m.ev[0].kind, XG_KIND_SYN_FLOOD_SPOOFED);
	assert_true(m.ev[0].has_dst);
	assert_false(m.ev[0].has_src);
	if (memcmp(&m.ev[0].dst, &victim.addr, sizeof(victim.addr)))
		fail_msg("victim %s", astr(&m.ev[0].dst, a));
	assert_int_equal(m.ev[0].value, NSPOOF);
	assert_int_equal(m.ev[0].threshold, 1000);
	assert_int_equal(m.ev[0].ts_ns, T0 + POLL);
	assert_int_equal(xg_detector_tracked(m.d), NSPOOF);

	/* The forged sources vanish: their state goes after the longest window. */
	while (m.now < T0 + SEC(25)) {
		m.now += POLL;
		sim_poll(&m, NULL, 0, &victim, 1, NULL, 0);
	}
	assert_int_equal(xg_detector_tracked(m.d), 0);
	expect_nevents(&m, 1, "after the spoofed flood");
	xg_detector_free(m.d);
	free(s);
}

/*
 * One source flooding the same destination is a syn_flood: banned, no
 * spoofed alarm, not even from the SYNs the destination counted between
 * the poll and the ban (here 1500 more in the next poll).
 */
static void test_single_source_not_spoofed(void **state)
{
	struct xg_dst_sample victim = { .addr = ip4(0xc0000201) };
	struct xg_src_sample s;
	struct xg_detect_cfg c;
	struct sim m;
	int p, dry;

	(void)state;
	for (dry = 0; dry < 2; dry++) {
		xg_detect_defaults(&c);
		c.dry_run = dry;
		sim_start(&m, &c);
		src_init(&s, HOST, T0 - SEC(5));
		sim_poll(&m, &s, 1, &victim, 1, NULL, 0);
		for (p = 0; p < 30; p++) {
			m.now += POLL;
			/*
			 * Banned: the kernel drops it before counting, and
			 * its entry is gone (deleted or evicted).
			 */
			if (dry || p == 0) {
				src_add(&s, m.now, 2000, 0, 0);
				victim.syns += 2000;
			} else if (p == 1) {
				victim.syns += 1500;
			}
			sim_poll(&m, &s, dry || p == 0, &victim, 1, NULL, 0);
		}
		assert_int_equal(nevents(&m, -1, XG_KIND_SYN_FLOOD_SPOOFED), 0);
		assert_int_equal(nevents(&m, XG_EV_ALERT, XG_KIND_SYN_FLOOD),
				 1);
		assert_int_equal(nevents(&m, XG_EV_BAN, -1), dry ? 0 : 1);
		xg_detector_free(m.d);
	}
}

/* ---- counters that restart or wrap ---- */

static void test_counter_reset_wrap(void **state)
{
	static const struct {
		const char *name;
		__u32 syns0; /* cumulative at the baseline poll */
		__u64 pkts0;
		bool recreated; /* new first_ns at the second poll */
		__u32 syns1;
		__u64 pkts1;
		bool trips;
	} cases[] = {
		{ "wrap by 100", 0xffffffc0, 1ULL << 33, false, 0x24,
		  (1ULL << 33) + 100, true },
		{ "wrap by 99", 0xffffffc0, 1ULL << 33, false, 0x23,
		  (1ULL << 33) + 99, false },
		{ "recreated, 100", 5000, 6000, true, 100, 100, true },
		{ "recreated, 99", 5000, 6000, true, 99, 99, false },
		{ "recreated, more than before", 50, 60, true, 100, 100, true },
		{ "fewer packets, 100", 5000, 6000, false, 100, 100, true },
		{ "fewer packets, 99", 5000, 6000, false, 99, 99, false },
	};
	struct xg_src_sample s;
	struct sim m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		sim_start(&m, NULL);
		src_init(&s, HOST, T0 - SEC(3600));
		s.syns = cases[i].syns0;
		s.pkts = cases[i].pkts0;
		/* The first poll: old counters are history, not a flood. */
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		expect_nevents(&m, 0, "baseline");
		/* Gone for a poll (evicted) when it is recreated. */
		m.now += POLL;
		sim_poll(&m, cases[i].recreated ? NULL : &s,
			 !cases[i].recreated, NULL, 0, NULL, 0);
		m.now += POLL;
		if (cases[i].recreated)
			s.first_ns = m.now - MS(50);
		s.syns = cases[i].syns1;
		s.pkts = cases[i].pkts1;
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		expect_nevents(&m, cases[i].trips ? 2 : 0, cases[i].name);
		if (cases[i].trips)
			assert_int_equal(m.ev[0].value, 100);
		xg_detector_free(m.d);
	}
}

/* The first poll uses the counters of entries younger than every window. */
static void test_first_poll(void **state)
{
	static const struct {
		__u64 age;
		size_t nev;
	} cases[] = {
		{ MS(100), 2 },
		{ MS(999), 2 },
		{ SEC(1), 0 },
		{ SEC(3600), 0 },
	};
	struct xg_src_sample s;
	struct sim m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		sim_start(&m, NULL);
		src_init(&s, HOST, m.now - cases[i].age);
		src_add(&s, m.now, 100, 0, 0);
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		expect_nevents(&m, cases[i].nev, "first poll");
		xg_detector_free(m.d);
	}
}

/* A source first seen after the first poll: all its counts are new. */
static void test_new_source(void **state)
{
	struct xg_src_sample s;
	struct sim m;

	(void)state;
	sim_start(&m, NULL);
	sim_poll(&m, NULL, 0, NULL, 0, NULL, 0);
	m.now += POLL;
	src_init(&s, HOST, m.now - MS(150));
	src_add(&s, m.now, 0, 100, 0);
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	expect_nevents(&m, 2, "new source");
	assert_int_equal(m.ev[0].kind, XG_KIND_ICMP_FLOOD);
	xg_detector_free(m.d);
}

/* ---- socket counts ---- */

static void test_conn_max(void **state)
{
	struct xg_conn_count cc[2] = {
		{ ip4(HOST), 99 },
		{ ip4(HOST + 1), 100 }, /* in no source sample at all */
	};
	struct xg_detect_cfg c;
	struct sim m;

	(void)state;
	sim_start(&m, NULL);
	sim_poll(&m, NULL, 0, NULL, 0, cc, 2);
	expect_nevents(&m, 2, "conn_max");
	assert_int_equal(m.ev[0].kind, XG_KIND_CONN_FLOOD);
	assert_true(!memcmp(&m.ev[0].src, &cc[1].addr, sizeof(cc[1].addr)));
	assert_int_equal(m.ev[0].value, 100);
	assert_int_equal(m.ev[0].threshold, 100);
	assert_int_equal(m.ev[1].type, XG_EV_BAN);
	xg_detector_free(m.d);

	xg_detect_defaults(&c);
	c.conn_max = 0; /* off */
	cc[1].established = 100000;
	sim_start(&m, &c);
	sim_poll(&m, NULL, 0, NULL, 0, cc, 2);
	expect_nevents(&m, 0, "conn_max off");
	xg_detector_free(m.d);
}

/* ---- one detection per poll, in priority order ---- */

static void test_priority(void **state)
{
	struct xg_detect_cfg c;
	struct xg_src_sample s;
	struct sim m;

	(void)state;
	xg_detect_defaults(&c);
	c.dry_run = true;
	sim_start(&m, &c);
	src_init(&s, HOST, T0 - SEC(5));
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	m.now += POLL;
	src_add(&s, m.now, 500, 500, 0);
	s.tcp_ports = 60;
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	expect_nevents(&m, 1, "scan + floods, first poll");
	assert_int_equal(m.ev[0].kind, XG_KIND_PORT_SCAN);
	/* Dry run: the next kinds show in the next polls, each once. */
	m.now += POLL;
	src_add(&s, m.now, 500, 500, 0);
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	m.now += POLL;
	src_add(&s, m.now, 500, 500, 0);
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	m.now += POLL;
	src_add(&s, m.now, 500, 500, 0);
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	expect_nevents(&m, 3, "scan + floods, later polls");
	assert_int_equal(m.ev[1].kind, XG_KIND_SYN_FLOOD);
	assert_int_equal(m.ev[2].kind, XG_KIND_ICMP_FLOOD);
	xg_detector_free(m.d);
}

/* A port sketch left from an old window, with no new packets, is stale. */
static void test_idle_sketch(void **state)
{
	struct xg_src_sample s;
	struct sim m;

	(void)state;
	sim_start(&m, NULL);
	src_init(&s, HOST, T0 - SEC(5));
	s.pkts = 30;
	s.syns = 30;
	s.tcp_ports = 30;
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	m.now += POLL;
	sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
	expect_nevents(&m, 0, "stale sketch");
	xg_detector_free(m.d);
}

/*
 * The XDP program bans a scanner on the packet that trips its sketch, and
 * a read racing that packet may see its count but not yet its port: the
 * next poll sees the ports with no new packets (all dropped). Still a scan,
 * reported and banned (with the daemon's TTL and escalation); one poll
 * later, though, the sketch is stale.
 */
static void test_scan_seen_late(void **state)
{
	struct xg_src_sample s;
	struct sim m;
	int late;

	(void)state;
	for (late = 1; late <= 2; late++) {
		sim_start(&m, NULL);
		src_init(&s, HOST, T0 - SEC(5));
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		m.now += POLL;
		src_add(&s, m.now, 24, 0, 0);
		s.tcp_ports = 23;
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		expect_nevents(&m, 0, "one port short");
		if (late == 2) {
			m.now += POLL;
			sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		}
		m.now += POLL;
		s.tcp_ports = 24;
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		if (late == 2) {
			expect_nevents(&m, 0, "seen two polls late");
		} else {
			expect_nevents(&m, 2, "seen one poll late");
			assert_int_equal(m.ev[1].type, XG_EV_BAN);
			assert_int_equal(m.ev[1].kind, XG_KIND_PORT_SCAN);
		}
		xg_detector_free(m.d);
	}
}

/* ---- benign traffic must not trip ---- */

struct profile {
	const char *name;
	__u64 duration;
	/* Traffic of poll p (1-based) into s; *est >= 0 adds a socket count. */
	void (*step)(unsigned int p, __u64 now, struct xg_src_sample *s,
		     int *est);
};

/* 40 parallel connections at once, ~90 over 10 s, SYNs ~10% of packets. */
static void browser(unsigned int p, __u64 now, struct xg_src_sample *s,
		    int *est)
{
	__u32 syns = p == 1 ? 40 : (p <= 51 ? 1 : 0);

	src_add(s, now, syns, 0, 9 * syns + (p <= 60 ? 20 : 0));
	s->tcp_ports = 2; /* 80 and 443 */
	if (p % 5 == 0)
		*est = 40;
}

/* ping: one echo request a second. */
static void pinger(unsigned int p, __u64 now, struct xg_src_sample *s, int *est)
{
	(void)est;
	if (p % 5 == 0)
		src_add(s, now, 0, 1, 0);
}

/* nmap -p 22,80: two SYNs, two ports. */
static void probe(unsigned int p, __u64 now, struct xg_src_sample *s, int *est)
{
	(void)est;
	if (p == 1) {
		src_add(s, now, 2, 0, 0);
		s->tcp_ports = 2;
	}
}

/*
 * A P2P client retrying SYNs to 80 peers behind us, one port: one source,
 * ~80 SYNs over 30 s, no answers.
 */
static void p2p(unsigned int p, __u64 now, struct xg_src_sample *s, int *est)
{
	(void)est;
	if (p <= 150 && p % 15 < 8)
		src_add(s, now, 1, 0, 0);
	s->tcp_ports = 1;
}

static const struct profile profiles[] = {
	{ "browser", SEC(30), browser },
	{ "pinger", SEC(75), pinger },
	{ "two-port probe", SEC(10), probe },
	{ "p2p retries", SEC(40), p2p },
};

static void test_benign(void **state)
{
	struct xg_conn_count cc = { .addr = ip4(HOST) };
	struct xg_src_sample s;
	unsigned int p;
	struct sim m;
	size_t i;
	int est;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(profiles); i++) {
		__u32 syns = 0;

		sim_start(&m, NULL);
		src_init(&s, HOST, T0 - SEC(5));
		sim_poll(&m, &s, 1, NULL, 0, NULL, 0);
		for (p = 1; (__u64)p * POLL <= profiles[i].duration; p++) {
			m.now += POLL;
			est = -1;
			profiles[i].step(p, m.now, &s, &est);
			cc.established = est;
			sim_poll(&m, &s, 1, NULL, 0, &cc, est >= 0);
		}
		syns = s.syns;
		print_message("  %s: %u SYNs, %u echoes, %llu packets\n",
			      profiles[i].name, syns, s.icmp_echo,
			      (unsigned long long)s.pkts);
		expect_nevents(&m, 0, profiles[i].name);
		xg_detector_free(m.d);
	}
}

/* ---- the source-order hint ---- */

/*
 * The detector finds last poll's sources by walking last poll's input in
 * step with this one's, and falls back to its hash table where they part.
 * Whatever the order, the decisions must be those of the table alone: so a
 * detector fed the kernel's way (a stable order, sources inserted, removed,
 * once reordered, some twice in one input) must decide as one fed the same
 * samples shuffled anew every poll, where the walk all but never matches.
 * Event order follows input order, so the events are compared sorted.
 */
#define HINT_SRCS 600
#define HINT_POLLS 80
#define HINT_CONNS 16

struct evlog {
	struct xg_event *v;
	size_t n, cap;
};

static void log_event(const struct xg_event *ev, void *ctx)
{
	struct evlog *l = ctx;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n++] = *ev;
}

static bool hint_allowed(const struct xg_addr *a, void *ctx)
{
	(void)ctx;
	return a->a[15] % 37 == 3;
}

#define CMP(x, y)                                  \
	do {                                       \
		if ((x) != (y))                    \
			return (x) < (y) ? -1 : 1; \
	} while (0)

/* A total order on everything an event says (proto: static strings). */
static int ev_cmp(const void *pa, const void *pb)
{
	const struct xg_event *a = pa, *b = pb;
	int r;

	CMP(a->ts_ns, b->ts_ns);
	r = memcmp(&a->src, &b->src, sizeof(a->src));
	if (r)
		return r;
	r = memcmp(&a->dst, &b->dst, sizeof(a->dst));
	if (r)
		return r;
	CMP(a->type, b->type);
	CMP(a->kind, b->kind);
	CMP(a->has_src, b->has_src);
	CMP(a->has_dst, b->has_dst);
	CMP(a->value, b->value);
	CMP(a->threshold, b->threshold);
	CMP(a->window_ns, b->window_ns);
	CMP(a->ttl_ns, b->ttl_ns);
	CMP(a->repeat, b->repeat);
	CMP(a->reason, b->reason);
	return strcmp(a->proto ? a->proto : "", b->proto ? b->proto : "");
}

static __u32 lcg(__u32 *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return *seed >> 8;
}

/* Gone from the kernel for 7 polls in every 63, at its own phase. */
static bool hint_gone(unsigned int k, unsigned int p)
{
	return ((p + k) / 7) % 9 == 0 && k % 3;
}

/*
 * Source k's traffic at poll p: a steady SYN rate (a few reach syn_rate),
 * packets enough for some to pass the SYN share test, one 100-SYN burst at
 * a poll of its own, echoes for some, a port sketch for others; some polls
 * idle. So sources trip different kinds at different polls with values
 * their own, and bans (3 s) end and repeat within the run.
 */
static void hint_traffic(struct xg_src_sample *s, unsigned int k,
			 unsigned int p, __u64 now)
{
	__u32 syns = k % 23, icmp = k % 41 == 1 ? 25 : 0;

	if ((p * 3 + k) % 5 == 0)
		return;
	if ((k * 7) % HINT_POLLS == p)
		syns += 100;
	src_add(s, now, syns, icmp, (k / 3) % 200);
	s->tcp_ports = k % 13 == 0 ? 30 : k % 20;
	s->udp_ports = k % 17 == 0 ? 26 : 0;
}

static void test_hint_order(void **state)
{
	static struct xg_src_sample x[HINT_SRCS], in[HINT_SRCS + 8],
		sh[HINT_SRCS + 8];
	unsigned int order[HINT_SRCS], k, p, i, n, tmp;
	struct xg_conn_count cc[HINT_CONNS];
	struct evlog la = {}, lb = {};
	struct xg_detector *a, *b;
	size_t nban = 0, nrep = 0, nsup = 0;
	struct xg_detect_cfg c;
	__u32 seed = 1;
	__u64 now = T0;

	(void)state;
	xg_detect_defaults(&c);
	c.ban_ttl_ns = SEC(3);
	a = xg_detector_new(&c);
	b = xg_detector_new(&c);
	assert_non_null(a);
	assert_non_null(b);
	for (k = 0; k < HINT_SRCS; k++) {
		src_init(&x[k], HOST + k, T0 - SEC(30));
		order[k] = k;
	}
	for (p = 0; p < HINT_POLLS; p++, now += POLL) {
		if (p == HINT_POLLS / 2) {
			/* The kernel's table resized: a new slot order. */
			for (k = 0; k < HINT_SRCS / 2; k++) {
				tmp = order[k];
				order[k] = order[HINT_SRCS - 1 - k];
				order[HINT_SRCS - 1 - k] = tmp;
			}
		}
		for (n = 0, k = 0; k < HINT_SRCS; k++) {
			i = order[k];
			if (hint_gone(i, p)) {
				/* Back later as a new map entry: from 0. */
				src_init(&x[i], HOST + i, now + POLL - MS(50));
				continue;
			}
			if (p)
				hint_traffic(&x[i], i, p, now);
			in[n++] = x[i];
			/* Now and then one address twice in one read. */
			if (p % 10 == 3 && i % 101 == 0)
				in[n++] = x[i];
		}
		memcpy(sh, in, n * sizeof(*in));
		for (k = n - 1; k > 0; k--) {
			struct xg_src_sample t = sh[k];

			i = lcg(&seed) % (k + 1);
			sh[k] = sh[i];
			sh[i] = t;
		}
		/* Sockets, some from addresses in no source sample. */
		for (k = 0; k < HINT_CONNS; k++) {
			cc[k].addr =
				ip4(HOST + (k * 53 + p) % (HINT_SRCS + 40));
			cc[k].established = 90 + k;
		}
		xg_detector_poll(a, now, in, n, NULL, 0, cc, HINT_CONNS,
				 hint_allowed, log_event, &la);
		xg_detector_poll(b, now, sh, n, NULL, 0, cc, HINT_CONNS,
				 hint_allowed, log_event, &lb);
		if (xg_detector_tracked(a) != xg_detector_tracked(b))
			fail_msg("poll %u: tracking %zu sources, want %zu", p,
				 xg_detector_tracked(a),
				 xg_detector_tracked(b));
	}

	assert_int_equal(la.n, lb.n);
	qsort(la.v, la.n, sizeof(*la.v), ev_cmp);
	qsort(lb.v, lb.n, sizeof(*lb.v), ev_cmp);
	for (i = 0; i < la.n; i++) {
		if (ev_cmp(&la.v[i], &lb.v[i]))
			fail_msg("event %u of %zu differs", i, la.n);
		nban += la.v[i].type == XG_EV_BAN;
		nrep += la.v[i].type == XG_EV_BAN && la.v[i].repeat > 1;
		nsup += la.v[i].type == XG_EV_SUPPRESSED;
	}
	print_message("  %zu events: %zu bans (%zu repeats), %zu suppressed\n",
		      la.n, nban, nrep, nsup);
	/* Enough going on for a mixed-up source to show. */
	assert_true(nban >= 100 && nrep >= 10 && nsup >= 5);
	free(la.v);
	free(lb.v);
	xg_detector_free(a);
	xg_detector_free(b);
}

/*
 * One address twice in one input (the kernel never does it, but the
 * detector must not care how it finds the source): each copy updates the
 * one source in turn, so identical copies count once, and the source is
 * tracked once, wherever the second copy sits from poll to poll.
 */
static void test_hint_duplicate(void **state)
{
	struct xg_src_sample s[2], in[3];
	unsigned int p;
	struct sim m;

	(void)state;
	sim_start(&m, NULL);
	src_init(&s[0], HOST, T0 - SEC(5));
	src_init(&s[1], HOST + 1, T0 - SEC(5));
	for (p = 0; p < 5; p++) {
		if (p) {
			m.now += POLL;
			src_add(&s[0], m.now, 30, 0, 0);
			src_add(&s[1], m.now, 1, 0, 10);
		}
		/* X Y X, then X X Y, Y X X, X Y X, ... */
		in[p % 3] = s[1];
		in[(p + 1) % 3] = s[0];
		in[(p + 2) % 3] = s[0];
		sim_poll(&m, in, 3, NULL, 0, NULL, 0);
		assert_int_equal(xg_detector_tracked(m.d), 2);
		expect_nevents(&m, p < 4 ? 0 : 2, "duplicate");
	}
	/* 4 polls of 30 SYNs, each counted once. */
	assert_int_equal(m.ev[0].kind, XG_KIND_SYN_FLOOD);
	assert_int_equal(m.ev[0].value, 120);
	assert_int_equal(m.ev[1].type, XG_EV_BAN);
	/* Y gone from the kernel: two inputs, yet one of two sources left. */
	m.now += POLL;
	in[1] = in[0] = s[0];
	sim_poll(&m, in, 2, NULL, 0, NULL, 0);
	assert_int_equal(xg_detector_tracked(m.d), 1);
	xg_detector_free(m.d);
}

/* ---- names and configuration ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(xg_kind_name(XG_KIND_PORT_SCAN), "port_scan");
	assert_string_equal(xg_kind_name(XG_KIND_SYN_FLOOD), "syn_flood");
	assert_string_equal(xg_kind_name(XG_KIND_SYN_FLOOD_SPOOFED),
			    "syn_flood_spoofed");
	assert_string_equal(xg_kind_name(XG_KIND_ICMP_FLOOD), "icmp_flood");
	assert_string_equal(xg_kind_name(XG_KIND_CONN_FLOOD), "conn_flood");
	assert_string_equal(xg_kind_name(XG_KIND__MAX), "unknown");
	assert_string_equal(xg_event_type_name(XG_EV_ALERT), "alert");
	assert_string_equal(xg_event_type_name(XG_EV_BAN), "ban");
	assert_string_equal(xg_event_type_name(XG_EV_UNBAN), "unban");
	assert_string_equal(xg_event_type_name(XG_EV_SUPPRESSED), "suppressed");
	/* The unban event names the kind of the ban it ends. */
	assert_string_equal(xg_reason_kind(XG_REASON_PORT_SCAN), "port_scan");
	assert_string_equal(xg_reason_kind(XG_REASON_SYN_FLOOD), "syn_flood");
	assert_string_equal(xg_reason_kind(XG_REASON_ICMP_FLOOD), "icmp_flood");
	assert_string_equal(xg_reason_kind(XG_REASON_CONN_FLOOD), "conn_flood");
	assert_null(xg_reason_kind(XG_REASON_NONE));
	assert_null(xg_reason_kind(XG_REASON_MANUAL));
	assert_null(xg_reason_kind(XG_REASON_BLOCKLIST));
	assert_null(xg_reason_kind(XG_REASON__MAX));
}

static void test_bad_cfg(void **state)
{
	struct xg_detect_cfg c;

	(void)state;
	xg_detect_defaults(&c);
	c.syn_window_ns = 0;
	errno = 0;
	assert_null(xg_detector_new(&c));
	assert_int_equal(errno, EINVAL);
	xg_detect_defaults(&c);
	c.ban_ttl_max_ns = c.ban_ttl_ns - 1;
	assert_null(xg_detector_new(&c));
	xg_detect_defaults(&c);
	c.syn_ratio = 1.5;
	assert_null(xg_detector_new(&c));
	assert_null(xg_detector_new(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_estimate),
		cmocka_unit_test(test_scan_trip_bits),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_spread_wider_than_window),
		cmocka_unit_test(test_window_edge),
		cmocka_unit_test(test_syn_ratio),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_no_reban_while_banned),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_allowlisted),
		cmocka_unit_test(test_ban_clears_windows),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_operator_unban),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_spoofed_flood),
		cmocka_unit_test(test_single_source_not_spoofed),
		cmocka_unit_test(test_counter_reset_wrap),
		cmocka_unit_test(test_first_poll),
		cmocka_unit_test(test_new_source),
		cmocka_unit_test(test_conn_max),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_idle_sketch),
		cmocka_unit_test(test_scan_seen_late),
		cmocka_unit_test(test_benign),
		cmocka_unit_test(test_hint_order),
		cmocka_unit_test(test_hint_duplicate),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
