// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * samples: the last dropped-packet samples the daemon kept. The daemon is
 * the ring buffer's only consumer and publishes what it keeps in
 * /run/xdpguard*.samples.json; this reads that file, so any number of
 * viewers can watch without stealing records from each other or from
 * the pcap file.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common.h"
#include "output.h"
#include "parse.h"
#include "runstate.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static const char *str(json_object *o, const char *k, const char *def)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ?
		       json_object_get_string(v) :
		       def;
}

static int num(json_object *o, const char *k, int def)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ?
		       json_object_get_int(v) :
		       def;
}

static const char *proto_name(int p, char *buf, size_t len)
{
	switch (p) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmp6";
	default:
		snprintf(buf, len, "proto %d", p);
		return buf;
	}
}

static void print_text(json_object *s)
{
	int proto = num(s, "proto", -1);
	char pb[24];

	printf("%s %-8s %-10s %s > %s", str(s, "ts", "?"), str(s, "iface", "?"),
	       str(s, "reason", "?"), str(s, "src", "?"), str(s, "dst", "?"));
	if (proto >= 0)
		printf(" %s", proto_name(proto, pb, sizeof(pb)));
	if (num(s, "sport", -1) >= 0)
		printf(" %d > %d", num(s, "sport", 0), num(s, "dport", 0));
	if (str(s, "tcp_flags", NULL))
		printf(" [%s]", str(s, "tcp_flags", ""));
	if (num(s, "icmp_type", -1) >= 0)
		printf(" type %d", num(s, "icmp_type", 0));
	printf(" len %d\n", num(s, "len", 0));
}

/* Prints samples with seq > *last (the newest count only, if count). */
static void show(json_object *arr, __u64 *last, __u64 count, bool json,
		 bool lines)
{
	size_t n = json_object_array_length(arr), i, first = 0;
	json_object *out = json && !lines ? json_object_new_array() : NULL;

	if (count && n > count)
		first = n - count;
	for (i = first; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);
		__u64 seq = num(s, "seq", 0);

		if (seq <= *last)
			continue;
		*last = seq;
		if (out)
			json_object_array_add(out, json_object_get(s));
		else if (json)
			xg_print_json(json_object_get(s));
		else
			print_text(s);
	}
	if (out)
		xg_print_json(out);
	fflush(stdout);
}

int do_samples(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{},
	};
	bool json = false, follow = false;
	__u64 count = 0, last = 0;
	json_object *st, *arr;
	int c, err, pid = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'f':
			follow = true;
			break;
		case 'c':
			if (xg_parse_u64(optarg, 1, 1000000, &count)) {
				xg_err("invalid --count '%s': %s", optarg,
				       xg_parse_error());
				return 2;
			}
			break;
		default:
			return xg_usage_error("samples", "unknown option '%s'",
					      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return xg_usage_error("samples", "unexpected argument '%s'",
				      argv[optind]);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, on_signal);
	err = xg_runstate_read("samples.json", &st);
	if (err == -ENOENT) {
		xg_err("no daemon is running for %s: drop samples are taken by 'xdpguard run'",
		       xg_pin_dir());
		return 1;
	}
	if (err) {
		xg_err("cannot read the drop samples: %s", strerror(-err));
		return 1;
	}
	if (!json_object_object_get_ex(st, "samples", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		xg_err("cannot read the drop samples: unexpected content");
		json_object_put(st);
		return 1;
	}
	if (!json && !follow && !json_object_array_length(arr)) {
		printf(num(st, "sample_rate", 1) ?
			       "no packets dropped since the daemon started\n" :
			       "drop sampling is off (--sample-rate 0)\n");
		json_object_put(st);
		return 0;
	}
	do {
		/* A restarted daemon numbers its samples from 1 again. */
		if (!err && num(st, "pid", 0) != pid) {
			pid = num(st, "pid", 0);
			last = 0;
		}
		if (!err) {
			if (json_object_object_get_ex(st, "samples", &arr) &&
			    json_object_is_type(arr, json_type_array))
				show(arr, &last, last ? 0 : count, json,
				     follow);
			json_object_put(st);
		}
		if (follow) {
			struct timespec ts = { 0, 250000000 };

			nanosleep(&ts, NULL);
			err = xg_runstate_read("samples.json", &st);
		}
	} while (follow && !stop);
	return 0;
}
