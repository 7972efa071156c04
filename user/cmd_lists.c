// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ban, unban, bans, allow, unallow, allows: edit and list the kernel maps. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bans.h"
#include "cli.h"
#include "common.h"
#include "maps.h"
#include "output.h"
#include "parse.h"

/* Parses the single positional argument and --json; returns it or NULL. */
static const char *one_arg(const char *verb, int argc, char **argv,
			   const char *what, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		if (c == 'j' && !json) {
			xg_usage_error(verb, "unknown option '%s'",
				       xg_shorten(argv[optind - 1]));
			return NULL;
		}
		if (c != 'j') {
			xg_opt_error(verb, c, argc, argv);
			return NULL;
		}
		*json = true;
	}
	if (!what) {
		if (optind < argc) {
			xg_usage_error(verb, "unexpected argument '%s'",
				       xg_shorten(argv[optind]));
			return NULL;
		}
		return "";
	}
	if (optind >= argc) {
		xg_usage_error(verb, "missing %s", what);
		return NULL;
	}
	if (optind + 1 < argc) {
		xg_usage_error(verb, "unexpected argument '%s'",
			       xg_shorten(argv[optind + 1]));
		return NULL;
	}
	return argv[optind];
}

/* Writers need write access to the pins; listings only read access. */
static int open_maps(const char *verb, struct xg_maps *m)
{
	if (!strcmp(verb, "bans") || !strcmp(verb, "allows"))
		return xg_maps_open_ro(m);
	return xg_maps_open(m);
}

int do_ban(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{},
	};
	__u32 reason = XG_REASON_MANUAL;
	char a[XG_ADDR_STRLEN], d[32];
	struct xg_addr addr;
	struct xg_maps m;
	__u64 ttl = 0;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (xg_parse_duration(optarg, &ttl)) {
				xg_err("invalid duration '%s': %s",
				       xg_shorten(optarg), xg_parse_error());
				return 2;
			}
			break;
		case 'r':
			if (xg_reason_parse(optarg, &reason) ||
			    reason == XG_REASON_NONE) {
				xg_err("invalid reason '%s' (manual, port_scan, syn_flood, icmp_flood, conn_flood, blocklist)",
				       xg_shorten(optarg));
				return 2;
			}
			break;
		default:
			return xg_opt_error("ban", c, argc, argv);
		}
	}
	if (optind != argc - 1)
		return xg_usage_error("ban", optind >= argc ?
						     "missing address" :
						     "too many arguments");
	if (xg_parse_addr(argv[optind], &addr)) {
		xg_err("invalid address '%s': %s", xg_shorten(argv[optind]),
		       xg_parse_error());
		return 2;
	}
	if (open_maps("ban", &m))
		return 1;
	err = xg_ban_add(m.bans, &addr, ttl, reason, 1);
	if (err)
		xg_err("cannot ban %s: %s", argv[optind], xg_bpf_strerror(err));
	else
		printf("banned %s (%s) for %s\n",
		       xg_addr_str(&addr, a, sizeof(a)), xg_reason_name(reason),
		       ttl ? xg_duration_str(ttl, d, sizeof(d)) : "ever");
	if (!err && xg_allow_match(m.allow, &addr))
		xg_warn("%s is allowlisted: the allowlist wins, so this ban has no effect until 'xdpguard unallow'",
			a);
	xg_maps_close(&m);
	return err ? 1 : 0;
}

int do_unban(int argc, char **argv)
{
	const char *s = one_arg("unban", argc, argv, "address", NULL);
	char a[XG_ADDR_STRLEN];
	struct xg_addr addr;
	struct xg_maps m;
	int err;

	if (!s)
		return 2;
	if (xg_parse_addr(s, &addr)) {
		xg_err("invalid address '%s': %s", xg_shorten(s),
		       xg_parse_error());
		return 2;
	}
	if (open_maps("unban", &m))
		return 1;
	err = xg_ban_del(m.bans, &addr);
	xg_addr_str(&addr, a, sizeof(a));
	if (err == -ENOENT)
		xg_err("%s is not banned", a);
	else if (err)
		xg_err("cannot unban %s: %s", a, xg_bpf_strerror(err));
	else
		printf("unbanned %s\n", a);
	xg_maps_close(&m);
	return err ? 1 : 0;
}

static int cmp_ban(const void *x, const void *y)
{
	const struct xg_ban_entry *a = x, *b = y;

	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

int do_bans(int argc, char **argv)
{
	bool json = false;
	struct xg_ban_entry *e;
	char a[XG_ADDR_STRLEN], d[32];
	struct xg_maps m;
	size_t n, i, live = 0;
	__u64 now;
	int err;

	if (!one_arg("bans", argc, argv, NULL, &json))
		return 2;
	if (open_maps("bans", &m))
		return 1;
	err = xg_ban_list(m.bans, &e, &n);
	xg_maps_close(&m);
	if (err) {
		xg_err("cannot list bans: %s", xg_bpf_strerror(err));
		return 1;
	}
	qsort(e, n, sizeof(*e), cmp_ban);
	now = xg_mono_ns();
	if (json) {
		json_object *arr = json_object_new_array();

		for (i = 0; i < n; i++) {
			json_object *o = json_object_new_object();
			long long in = xg_ban_expires_in(&e[i].ban, now);

			if (!xg_ban_live(&e[i].ban, now))
				continue;
			json_object_object_add(
				o, "addr",
				json_object_new_string(
					xg_addr_str(&e[i].addr, a, sizeof(a))));
			json_object_object_add(
				o, "reason",
				json_object_new_string(
					xg_reason_name(e[i].ban.reason)));
			json_object_object_add(
				o, "expires_in",
				in < 0 ? NULL : json_object_new_int64(in));
			json_object_object_add(
				o, "repeat",
				json_object_new_int64(e[i].ban.repeat));
			json_object_object_add(
				o, "age",
				json_object_new_int64(
					(now - e[i].ban.created_ns) /
					NSEC_PER_SEC));
			json_object_array_add(arr, o);
		}
		xg_print_json(arr);
		free(e);
		return 0;
	}
	for (i = 0; i < n; i++) {
		long long in = xg_ban_expires_in(&e[i].ban, now);

		if (!xg_ban_live(&e[i].ban, now))
			continue;
		if (!live++)
			printf("%-40s %-11s %-10s %s\n", "ADDRESS", "REASON",
			       "EXPIRES", "REPEAT");
		printf("%-40s %-11s %-10s %u\n",
		       xg_addr_str(&e[i].addr, a, sizeof(a)),
		       xg_reason_name(e[i].ban.reason),
		       in < 0 ?
			       "never" :
			       xg_duration_str(in * NSEC_PER_SEC, d, sizeof(d)),
		       e[i].ban.repeat);
	}
	if (!live)
		printf("no bans\n");
	free(e);
	return 0;
}

static int edit_allow(const char *verb, int argc, char **argv, bool add)
{
	const char *s = one_arg(verb, argc, argv, "prefix", NULL);
	char p[XG_ADDR_STRLEN + 8];
	struct xg_lpm_key k;
	struct xg_maps m;
	int err;

	if (!s)
		return 2;
	if (xg_parse_prefix(s, &k)) {
		xg_err("invalid prefix '%s': %s", xg_shorten(s),
		       xg_parse_error());
		return 2;
	}
	if (open_maps(verb, &m))
		return 1;
	xg_prefix_str(&k, p, sizeof(p));
	err = add ? xg_allow_add(m.allow, &k) : xg_allow_del(m.allow, &k);
	if (err == -ENOENT && !add)
		xg_err("%s is not in the allowlist", p);
	else if (err)
		xg_err("cannot %s %s: %s", verb, p, xg_bpf_strerror(err));
	else
		printf("%s %s\n",
		       add ? "allowed" : "removed from allowlist:", p);
	xg_maps_close(&m);
	return err ? 1 : 0;
}

int do_allow(int argc, char **argv)
{
	return edit_allow("allow", argc, argv, true);
}

int do_unallow(int argc, char **argv)
{
	return edit_allow("unallow", argc, argv, false);
}

int do_allows(int argc, char **argv)
{
	char p[XG_ADDR_STRLEN + 8];
	struct xg_allow_entry *e;
	bool json = false;
	struct xg_maps m;
	size_t n, i;
	int err;

	if (!one_arg("allows", argc, argv, NULL, &json))
		return 2;
	if (open_maps("allows", &m))
		return 1;
	err = xg_allow_list(m.allow, &e, &n);
	xg_maps_close(&m);
	if (err) {
		xg_err("cannot list the allowlist: %s", xg_bpf_strerror(err));
		return 1;
	}
	if (json) {
		json_object *arr = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(
				arr, json_object_new_string(xg_prefix_str(
					     &e[i].prefix, p, sizeof(p))));
		xg_print_json(arr);
	} else {
		for (i = 0; i < n; i++)
			printf("%s%s\n",
			       xg_prefix_str(&e[i].prefix, p, sizeof(p)),
			       e[i].allow.flags & XG_ALLOW_F_SELF ?
				       "\t(self-protection: kept by the daemon)" :
				       "");
		if (!n)
			printf("allowlist is empty\n");
	}
	free(e);
	return 0;
}
