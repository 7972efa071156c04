// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stats, and top when it cannot draw (--json, or stdout not a terminal):
 * totals, rates and the busiest sources, printed once or every interval.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bans.h"
#include "cli.h"
#include "common.h"
#include "maps.h"
#include "output.h"
#include "parse.h"
#include "statsview.h"
#include "top.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static const char *const key_names[] = {
	[XG_BY_PKTS] = "pkts",	      [XG_BY_SYNS] = "syns",
	[XG_BY_ICMP] = "icmp_echo",   [XG_BY_PORTS] = "ports",
	[XG_BY_PPS] = "pps",	      [XG_BY_SYN_PS] = "syn_pps",
	[XG_BY_ICMP_PS] = "icmp_pps", [XG_BY_BPS] = "bps",
};

static void report_text(const struct xg_maps *m, struct xg_rates *r, int top)
{
	char addr[XG_ADDR_STRLEN], d[XG_DURATION_STRLEN], st[64];
	__u64 now = xg_mono_ns();
	int i, k;

	printf("%-16s %14s %16s %12s\n", "", "packets", "bytes", "pps");
	for (i = 0; i < XG_CNT__MAX; i++) {
		const char *name = xg_slot_name(i);

		if (!name || (i >= XG_CNT_DROP_BASE && !r->c[i].pkts))
			continue;
		printf("%-6s %-9s %14llu %16llu %12.0f\n",
		       i < XG_CNT_DROP_BASE ? "" : "drop", name,
		       (unsigned long long)r->c[i].pkts,
		       (unsigned long long)r->c[i].bytes, r->pps[i]);
	}
	printf("%zu sources tracked, interval %.2f s\n", r->nrows, r->dt);
	for (k = XG_BY_PKTS; k <= XG_BY_PORTS && top > 0; k++) {
		int shown = 0;
		size_t j;

		xg_rates_sort(r, k);
		for (j = 0; j < r->nrows && shown < top; j++) {
			const struct xg_src_row *row = &r->rows[j];
			struct xg_verdict v;

			if (!xg_row_key(row, k))
				break;
			xg_src_verdict(m, &row->s->addr, now, &v);
			snprintf(st, sizeof(st), "%s", v.state);
			if (!strcmp(v.state, "banned"))
				snprintf(st, sizeof(st), "banned (%s, %s)",
					 xg_reason_name(v.reason),
					 v.expires_in < 0 ?
						 "never expires" :
						 xg_duration_str(
							 v.expires_in *
								 NSEC_PER_SEC,
							 d, sizeof(d)));
			if (!shown++)
				printf("\ntop sources by %s:\n%-40s %10s %8s %8s %6s %10s %s\n",
				       key_names[k], "SOURCE", "PKTS", "SYNS",
				       "ICMP", "PORTS", "PPS", "STATE");
			printf("%-40s %10llu %8u %8u %6u %10.0f %s\n",
			       xg_addr_str(&row->s->addr, addr, sizeof(addr)),
			       (unsigned long long)row->s->pkts, row->s->syns,
			       row->s->icmp_echo, row->ports, row->pps, st);
		}
	}
	printf("\n");
	fflush(stdout);
}

struct stats_opts {
	double interval;
	__u64 count; /* 0 = until interrupted */
	__u64 top;
	bool json;
	enum xg_src_key sort; /* top's initial sort */
};

static int parse_opts(const char *verb, int argc, char **argv,
		      struct stats_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "top", required_argument, NULL, 't' },
		{ "sort", required_argument, NULL, 's' },
		{},
	};
	bool is_top = !strcmp(verb, "top");
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'w':
		case 'i':
			if (xg_parse_double(optarg, 0.1, 3600, &o->interval)) {
				xg_err("invalid --%s '%s': %s",
				       c == 'w' ? "watch" : "interval",
				       xg_shorten(optarg), xg_parse_error());
				return 2;
			}
			if (c == 'w')
				o->count = 0;
			break;
		case 'c':
			if (xg_parse_u64(optarg, 1, 1000000, &o->count)) {
				xg_err("invalid --count '%s': %s",
				       xg_shorten(optarg), xg_parse_error());
				return 2;
			}
			break;
		case 't':
			if (xg_parse_u64(optarg, 0, 1000, &o->top)) {
				xg_err("invalid --top '%s': %s",
				       xg_shorten(optarg), xg_parse_error());
				return 2;
			}
			break;
		case 's':
			if (!is_top)
				return xg_usage_error(
					verb, "unknown option '--sort'");
			if (xg_top_sort_parse(optarg, &o->sort)) {
				xg_err("invalid --sort '%s' (pps, syn, icmp, ports, bps)",
				       optarg);
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
	return 0;
}

/* Prints a report every interval, count times (0: until a signal). */
static int stats_loop(const struct xg_maps *m, const struct stats_opts *o)
{
	struct xg_reading r0, r1;
	struct xg_rates rt;
	int err;
	__u64 n;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, on_signal);
	err = xg_reading_take(m, &r0);
	for (n = 0; !err && !stop && (!o->count || n < o->count); n++) {
		struct timespec ts = {
			(time_t)o->interval,
			(long)((o->interval - (time_t)o->interval) * 1e9)
		};

		nanosleep(&ts, NULL);
		err = xg_reading_take(m, &r1);
		if (!err)
			err = xg_rates_compute(&r0, &r1, &rt);
		if (err)
			break;
		if (o->json)
			xg_print_json(xg_stats_json(m, &rt, o->top));
		else
			report_text(m, &rt, o->top);
		xg_rates_free(&rt);
		xg_reading_free(&r0);
		r0 = r1;
		memset(&r1, 0, sizeof(r1));
	}
	xg_reading_free(&r0);
	xg_reading_free(&r1);
	return err ? 1 : 0;
}

int do_stats(int argc, char **argv)
{
	struct stats_opts o = { .interval = 1, .count = 1, .top = 5 };
	struct xg_maps m;
	int rc = parse_opts("stats", argc, argv, &o);

	if (rc)
		return rc;
	if (xg_maps_open_ro(&m))
		return 1;
	rc = stats_loop(&m, &o);
	xg_maps_close(&m);
	return rc;
}

int do_top(int argc, char **argv)
{
	struct stats_opts o = { .interval = 1, .top = 5, .sort = XG_BY_PPS };
	struct xg_maps m;
	int rc = parse_opts("top", argc, argv, &o);

	if (rc)
		return rc;
	if (xg_maps_open_ro(&m))
		return 1;
	/* Scripts and pipes get the stats stream; a terminal gets the view. */
	if (o.json || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		rc = stats_loop(&m, &o);
	else
		rc = xg_top_run(&m, o.interval, o.sort, o.count);
	xg_maps_close(&m);
	return rc;
}
