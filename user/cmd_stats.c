// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stats and top: totals, rates and the busiest sources. Rates come from two
 * readings and the monotonic time measured between them, never from the
 * length of the sleep.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "bans.h"
#include "cli.h"
#include "common.h"
#include "maps.h"
#include "output.h"
#include "parse.h"

#define PORT_SHIFT 33

struct reading {
	__u64 t;
	struct xg_counter c[XG_CNT__MAX];
	struct xg_src_sample *src;
	size_t nsrc;
};

static const char *const slot_names[XG_CNT_DROP_BASE] = {
	[XG_CNT_PASS] = "pass",
	[XG_CNT_ALLOWED] = "allowed",
	[XG_CNT_MALFORMED] = "malformed",
	[XG_CNT_NON_IP] = "non_ip",
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int take(struct xg_maps *m, struct reading *r)
{
	int err;

	r->t = xg_mono_ns();
	err = xg_read_counters(m->global, r->c);
	if (!err)
		err = xg_read_sources(m->src, PORT_SHIFT, &r->src, &r->nsrc);
	return err;
}

static __u64 sum(const struct xg_counter *c, int from, int to, bool bytes)
{
	__u64 s = 0;
	int i;

	for (i = from; i < to; i++)
		s += bytes ? c[i].bytes : c[i].pkts;
	return s;
}

static int cmp_addr(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct xg_addr));
}

/* The same source in the earlier reading, for its rate. */
static const struct xg_src_sample *before(const struct reading *r,
					  const struct xg_addr *a)
{
	return bsearch(a, r->src, r->nsrc, sizeof(*r->src), cmp_addr);
}

enum key { BY_PKTS, BY_SYNS, BY_ICMP, BY_PORTS };
static const char *const key_names[] = { "pkts", "syns", "icmp_echo", "ports" };

static __u64 keyval(const struct xg_src_sample *s, enum key k)
{
	switch (k) {
	case BY_SYNS:
		return s->syns;
	case BY_ICMP:
		return s->icmp_echo;
	case BY_PORTS:
		return s->tcp_ports > s->udp_ports ? s->tcp_ports :
						     s->udp_ports;
	default:
		return s->pkts;
	}
}

static enum key sort_key;

static int cmp_key(const void *x, const void *y)
{
	__u64 a = keyval(x, sort_key), b = keyval(y, sort_key);

	return a < b ? 1 : a > b ? -1 : 0;
}

static json_object *src_json(const struct xg_src_sample *s, double pps,
			     const char *state)
{
	json_object *o = json_object_new_object();
	char a[XG_ADDR_STRLEN];

	json_object_object_add(
		o, "addr",
		json_object_new_string(xg_addr_str(&s->addr, a, sizeof(a))));
	json_object_object_add(o, "pkts", json_object_new_int64(s->pkts));
	json_object_object_add(o, "bytes", json_object_new_int64(s->bytes));
	json_object_object_add(o, "syns", json_object_new_int64(s->syns));
	json_object_object_add(o, "icmp_echo",
			       json_object_new_int64(s->icmp_echo));
	json_object_object_add(o, "udp", json_object_new_int64(s->udp));
	json_object_object_add(o, "tcp_ports",
			       json_object_new_int64(s->tcp_ports));
	json_object_object_add(o, "udp_ports",
			       json_object_new_int64(s->udp_ports));
	json_object_object_add(o, "pps", json_object_new_double(pps));
	json_object_object_add(o, "state", json_object_new_string(state));
	return o;
}

static const char *src_state(struct xg_maps *m, const struct xg_addr *a)
{
	struct xg_ban b;

	if (!bpf_map_lookup_elem(m->bans, a, &b) &&
	    xg_ban_live(&b, xg_mono_ns()))
		return "banned";
	return xg_allow_match(m->allow, a) ? "allowed" : "passing";
}

static void report(struct xg_maps *m, struct reading *r0, struct reading *r1,
		   int top, bool json)
{
	double dt = (double)(r1->t - r0->t) / NSEC_PER_SEC;
	const struct xg_counter *a = r0->c, *b = r1->c;
	json_object *o = NULL, *drops = NULL, *tops = NULL;
	char addr[XG_ADDR_STRLEN];
	int i, k;

	qsort(r0->src, r0->nsrc, sizeof(*r0->src), cmp_addr);
	if (json) {
		o = json_object_new_object();
		drops = json_object_new_object();
		tops = json_object_new_object();
		json_object_object_add(o, "interval_s",
				       json_object_new_double(dt));
	} else {
		printf("%-16s %14s %16s %12s\n", "", "packets", "bytes", "pps");
	}
	for (i = 0; i < XG_CNT__MAX; i++) {
		const char *name = i < XG_CNT_DROP_BASE ?
					   slot_names[i] :
					   xg_reason_name(i - XG_CNT_DROP_BASE);
		double rate = (b[i].pkts - a[i].pkts) / dt;
		json_object *x;

		if (!name || (i >= XG_CNT_DROP_BASE && !b[i].pkts))
			continue;
		if (!json) {
			printf("%-6s %-9s %14llu %16llu %12.0f\n",
			       i < XG_CNT_DROP_BASE ? "" : "drop", name,
			       (unsigned long long)b[i].pkts,
			       (unsigned long long)b[i].bytes, rate);
			continue;
		}
		x = json_object_new_object();
		json_object_object_add(x, "pkts",
				       json_object_new_int64(b[i].pkts));
		json_object_object_add(x, "bytes",
				       json_object_new_int64(b[i].bytes));
		json_object_object_add(x, "pps", json_object_new_double(rate));
		json_object_object_add(i < XG_CNT_DROP_BASE ? o : drops, name,
				       x);
	}
	if (json) {
		__u64 all0 = sum(a, 0, XG_CNT__MAX, false);
		__u64 all1 = sum(b, 0, XG_CNT__MAX, false);
		__u64 d0 = sum(a, XG_CNT_DROP_BASE, XG_CNT__MAX, false);
		__u64 d1 = sum(b, XG_CNT_DROP_BASE, XG_CNT__MAX, false);

		json_object_object_add(o, "drop", drops);
		json_object_object_add(o, "total_pkts",
				       json_object_new_int64(all1));
		json_object_object_add(
			o, "total_bytes",
			json_object_new_int64(sum(b, 0, XG_CNT__MAX, true)));
		json_object_object_add(
			o, "pps", json_object_new_double((all1 - all0) / dt));
		json_object_object_add(o, "drops_pps",
				       json_object_new_double((d1 - d0) / dt));
		json_object_object_add(o, "tracked_sources",
				       json_object_new_int64(r1->nsrc));
	} else {
		printf("%llu sources tracked, interval %.2f s\n",
		       (unsigned long long)r1->nsrc, dt);
	}
	for (k = BY_PKTS; k <= BY_PORTS && top > 0; k++) {
		json_object *arr = json ? json_object_new_array() : NULL;
		int shown = 0;
		size_t j;

		sort_key = k;
		qsort(r1->src, r1->nsrc, sizeof(*r1->src), cmp_key);
		for (j = 0; j < r1->nsrc && shown < top; j++) {
			const struct xg_src_sample *s = &r1->src[j], *p;
			double pps;

			if (!keyval(s, k))
				break;
			p = before(r0, &s->addr);
			pps = (s->pkts - (p ? p->pkts : 0)) / dt;
			if (json) {
				json_object_array_add(
					arr, src_json(s, pps,
						      src_state(m, &s->addr)));
			} else {
				if (!shown)
					printf("\ntop sources by %s:\n%-40s %10s %8s %8s %6s %10s %s\n",
					       key_names[k], "SOURCE", "PKTS",
					       "SYNS", "ICMP", "PORTS", "PPS",
					       "STATE");
				printf("%-40s %10llu %8u %8u %6llu %10.0f %s\n",
				       xg_addr_str(&s->addr, addr,
						   sizeof(addr)),
				       (unsigned long long)s->pkts, s->syns,
				       s->icmp_echo,
				       (unsigned long long)keyval(s, BY_PORTS),
				       pps, src_state(m, &s->addr));
			}
			shown++;
		}
		if (json)
			json_object_object_add(tops, key_names[k], arr);
	}
	if (json) {
		json_object_object_add(o, "top", tops);
		xg_print_json(o);
	} else {
		printf("\n");
		fflush(stdout);
	}
}

static int stats_loop(const char *verb, int argc, char **argv, double watch)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "top", required_argument, NULL, 't' },
		{},
	};
	double interval = 1;
	__u64 count = watch ? 0 : 1, top = 5, n;
	struct reading r0 = {}, r1 = {};
	bool json = false;
	struct xg_maps m;
	int c, err = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'w':
		case 'i':
			if (xg_parse_double(optarg, 0.1, 3600, &interval)) {
				xg_err("invalid --%s '%s': %s",
				       c == 'w' ? "watch" : "interval",
				       xg_shorten(optarg), xg_parse_error());
				return 2;
			}
			if (c == 'w')
				count = 0;
			break;
		case 'c':
			if (xg_parse_u64(optarg, 1, 1000000, &count)) {
				xg_err("invalid --count '%s': %s",
				       xg_shorten(optarg), xg_parse_error());
				return 2;
			}
			break;
		case 't':
			if (xg_parse_u64(optarg, 0, 1000, &top)) {
				xg_err("invalid --top '%s': %s",
				       xg_shorten(optarg), xg_parse_error());
				return 2;
			}
			break;
		default:
			return xg_opt_error(verb, c, argc, argv);
		}
	}
	if (optind < argc)
		return xg_usage_error(verb, "unexpected argument '%s'",
				      xg_shorten(argv[optind]));
	if (xg_maps_open_ro(&m))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = take(&m, &r0);
	for (n = 0; !err && !stop && (!count || n < count); n++) {
		struct timespec ts = { (time_t)interval,
				       (long)((interval - (time_t)interval) *
					      1e9) };

		nanosleep(&ts, NULL);
		err = take(&m, &r1);
		if (err)
			break;
		report(&m, &r0, &r1, top, json);
		free(r0.src);
		r0 = r1;
		memset(&r1, 0, sizeof(r1));
	}
	free(r0.src);
	free(r1.src);
	xg_maps_close(&m);
	return err ? 1 : 0;
}

int do_stats(int argc, char **argv)
{
	return stats_loop("stats", argc, argv, 0);
}

int do_top(int argc, char **argv)
{
	return stats_loop("top", argc, argv, 1);
}
