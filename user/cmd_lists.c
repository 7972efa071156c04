// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ban, unban, bans, allow, unallow, allows: edit and list the kernel maps. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bans.h"
#include "blocklist.h"
#include "cli.h"
#include "common.h"
#include "maps.h"
#include "output.h"
#include "parse.h"
#include "prefixes.h"

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

/* --json confirmation: {"action", "addr"|"prefix", ["reason", "ttl_s"]} */
static void print_action(const char *action, const char *key, const char *what,
			 const char *reason, __u64 ttl)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, key, json_object_new_string(what));
	if (reason) {
		json_object_object_add(o, "reason",
				       json_object_new_string(reason));
		json_object_object_add(
			o, "ttl_s",
			ttl ? json_object_new_int64(ttl / NSEC_PER_SEC) : NULL);
	}
	xg_print_json(o);
}

/* Writers need write access to the pins; listings only read access. */
static int open_maps(const char *verb, struct xg_maps *m)
{
	if (!strcmp(verb, "bans") || !strcmp(verb, "allows"))
		return xg_maps_open_ro(m);
	return xg_maps_open(m);
}

static void xg_lists_of(const struct xg_maps *m, struct xg_lists *l)
{
	l->bans = m->bans;
	l->prefixes = m->prefixes;
	l->sources = m->sources;
	l->meta = m->meta;
	l->allow = m->allow;
}

/*
 * An address, or a prefix: "10.0.0.0/8", "2001:db8::/48". A full-length
 * prefix (/32, /128) is the address itself, an exact ban.
 */
static int parse_target(const char *s, struct xg_lpm_key *k, bool *exact)
{
	char p[XG_PREFIX_STRLEN];

	if (!strchr(s, '/')) {
		struct xg_addr a;

		if (xg_parse_addr(s, &a)) {
			xg_err("invalid address '%s': %s", xg_shorten(s),
			       xg_parse_error());
			return -EINVAL;
		}
		memcpy(k->a, a.a, sizeof(k->a));
		k->prefixlen = 128;
	} else if (xg_parse_prefix(s, k)) {
		xg_err("invalid prefix '%s': %s", xg_shorten(s),
		       xg_parse_error());
		return -EINVAL;
	}
	if (xg_prefix_covers_v4(k)) {
		xg_err("refusing to ban %s: it covers all of IPv4 too (::ffff:0:0/96)",
		       xg_prefix_str(k, p, sizeof(p)));
		return -EINVAL;
	}
	*exact = k->prefixlen == 128;
	return 0;
}

/* True if an allowlist entry covers all of k (the ban can never apply). */
static bool allow_covers(int fd, const struct xg_lpm_key *k)
{
	struct xg_allow v;

	return bpf_map_lookup_elem(fd, k, &v) == 0;
}

int do_ban(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{},
	};
	__u32 reason = XG_REASON_MANUAL;
	bool json = false;
	char a[XG_PREFIX_STRLEN], d[32];
	struct xg_addr addr;
	struct xg_lpm_key k;
	struct xg_lists l;
	struct xg_maps m;
	__u64 ttl = 0;
	bool exact;
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
		case 'j':
			json = true;
			break;
		default:
			return xg_opt_error("ban", c, argc, argv);
		}
	}
	if (optind != argc - 1)
		return xg_usage_error("ban", optind >= argc ?
						     "missing address" :
						     "too many arguments");
	if (parse_target(argv[optind], &k, &exact))
		return 2;
	if (open_maps("ban", &m))
		return 1;
	xg_lists_of(&m, &l);
	memcpy(addr.a, k.a, sizeof(addr.a));
	if (exact) {
		err = xg_ban_add(m.bans, &addr, ttl, reason, 1);
		if (!err)
			err = xg_meta_note(m.meta, XG_META_CHANGED);
		else if (err == -E2BIG)
			xg_meta_note(m.meta, XG_META_FULL_BANS);
		xg_addr_str(&addr, a, sizeof(a));
	} else {
		err = xg_prefix_ban(&l, &k, ttl, reason, 1, NULL);
		xg_prefix_str(&k, a, sizeof(a));
	}
	if (err == -ENOSPC || err == -E2BIG)
		xg_err("cannot ban %s: %s is full (raise %s; see 'xdpguard status')",
		       a, exact ? "the bans map" : "ban_prefixes",
		       exact ? "bans_max" : "prefix_bans_max");
	else if (err)
		xg_err("cannot ban %s: %s", a, xg_bpf_strerror(err));
	else if (json)
		print_action("ban", exact ? "addr" : "prefix", a,
			     xg_reason_name(reason), ttl);
	else
		printf("banned %s (%s) for %s\n", a, xg_reason_name(reason),
		       ttl ? xg_duration_str(ttl, d, sizeof(d)) : "ever");
	if (!err && allow_covers(m.allow, &k))
		xg_warn("%s is allowlisted: the allowlist wins, so this ban has no effect until 'xdpguard unallow'",
			a);
	xg_maps_close(&m);
	return err ? 1 : 0;
}

int do_unban(int argc, char **argv)
{
	bool json = false;
	const char *s = one_arg("unban", argc, argv, "address", &json);
	struct xg_source src[XG_SOURCES_MAX];
	char a[XG_PREFIX_STRLEN], o[256], p[XG_PREFIX_STRLEN];
	struct xg_prefix_entry pe;
	struct xg_addr addr;
	struct xg_lpm_key k;
	struct xg_lists l;
	struct xg_maps m;
	__u32 left = 0;
	bool exact;
	int err;

	if (!s)
		return 2;
	if (parse_target(s, &k, &exact))
		return 2;
	if (open_maps("unban", &m))
		return 1;
	xg_lists_of(&m, &l);
	memcpy(addr.a, k.a, sizeof(addr.a));
	if (exact) {
		err = xg_ban_del(m.bans, &addr);
		if (!err)
			xg_meta_note(m.meta, XG_META_CHANGED);
		xg_addr_str(&addr, a, sizeof(a));
	} else {
		err = xg_prefix_unban(&l, &k, &left);
		xg_prefix_str(&k, a, sizeof(a));
	}
	if (xg_sources_read(m.sources, src))
		memset(src, 0, sizeof(src));
	if (err == -ENOENT && left) {
		struct xg_prefix_ban v = { .owners = left };

		xg_err("%s is banned by blocklist %s only: edit the list and import it again, or 'xdpguard import --remove NAME'",
		       a, xg_owner_names(&v, src, o, sizeof(o)));
	} else if (err == -ENOENT && exact &&
		   !xg_prefix_match(m.prefixes, &addr, xg_mono_ns(), &pe)) {
		xg_err("%s is not banned itself; it lies in banned prefix %s (%s)",
		       a, xg_prefix_str(&pe.key, p, sizeof(p)),
		       xg_owner_names(&pe.v, src, o, sizeof(o)));
	} else if (err == -ENOENT) {
		xg_err("%s is not banned", a);
	} else if (err) {
		xg_err("cannot unban %s: %s", a, xg_bpf_strerror(err));
	} else if (json) {
		print_action("unban", exact ? "addr" : "prefix", a, NULL, 0);
	} else if (left) {
		struct xg_prefix_ban v = { .owners = left };

		printf("unbanned %s; it stays banned by blocklist %s\n", a,
		       xg_owner_names(&v, src, o, sizeof(o)));
	} else {
		printf("unbanned %s\n", a);
	}
	xg_maps_close(&m);
	return err ? 1 : 0;
}

static int cmp_ban(const void *x, const void *y)
{
	const struct xg_ban_entry *a = x, *b = y;

	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

/* One ban, exact (k->prefixlen 128) or prefix, as a row or JSON object. */
struct ban_row {
	struct xg_lpm_key k;
	const struct xg_ban *ban;
	const struct xg_prefix_ban *pv; /* NULL for an exact ban */
};

static json_object *ban_json(const struct ban_row *r,
			     const struct xg_source *src, __u64 now)
{
	json_object *o = json_object_new_object(), *lists;
	long long in = xg_ban_expires_in(r->ban, now);
	char a[XG_PREFIX_STRLEN];
	int s;

	if (r->pv)
		xg_prefix_str(&r->k, a, sizeof(a));
	else
		xg_addr_str((const struct xg_addr *)r->k.a, a, sizeof(a));
	json_object_object_add(o, "addr", json_object_new_string(a));
	json_object_object_add(
		o, "reason",
		json_object_new_string(xg_reason_name(r->ban->reason)));
	json_object_object_add(o, "expires_in",
			       in < 0 ? NULL : json_object_new_int64(in));
	json_object_object_add(o, "repeat",
			       json_object_new_int64(r->ban->repeat));
	json_object_object_add(
		o, "age",
		json_object_new_int64(r->ban->created_ns < now ?
					      (now - r->ban->created_ns) /
						      NSEC_PER_SEC :
					      0));
	if (r->pv && r->pv->owners & ~XG_OWNER_DIRECT) {
		lists = json_object_new_array();
		for (s = 1; s < XG_SOURCES_MAX; s++)
			if (r->pv->owners & (1u << s))
				json_object_array_add(
					lists,
					json_object_new_string(src[s].name));
		json_object_object_add(o, "lists", lists);
	}
	return o;
}

static void ban_text(const struct ban_row *r, const struct xg_source *src,
		     __u64 now, size_t *shown)
{
	long long in = xg_ban_expires_in(r->ban, now);
	char a[XG_PREFIX_STRLEN], d[32], o[256] = "";

	if (!(*shown)++)
		printf("%-43s %-11s %-10s %-6s %s\n", "ADDRESS", "REASON",
		       "EXPIRES", "REPEAT", "LISTS");
	if (r->pv) {
		struct xg_prefix_ban lists = *r->pv;

		lists.owners &= ~XG_OWNER_DIRECT;
		xg_prefix_str(&r->k, a, sizeof(a));
		xg_owner_names(&lists, src, o, sizeof(o));
	} else {
		xg_addr_str((const struct xg_addr *)r->k.a, a, sizeof(a));
	}
	printf("%-43s %-11s %-10s %-6u %s\n", a, xg_reason_name(r->ban->reason),
	       in < 0 ? "never" :
			xg_duration_str(in * NSEC_PER_SEC, d, sizeof(d)),
	       r->ban->repeat, o);
}

static void sources_text(const struct xg_source *src, __u64 now)
{
	char d[32], age[32];
	int s, n = 0;

	for (s = 1; s < XG_SOURCES_MAX; s++) {
		const struct xg_source *x = &src[s];

		if (!x->name[0])
			continue;
		if (!n++)
			printf("\n%-24s %9s %-10s %-10s %s\n", "BLOCKLIST",
			       "PREFIXES", "EXPIRES", "LOADED", "NOTE");
		printf("%-24s %9u %-10s %-10s %s\n", x->name, x->count,
		       !x->expires_ns ? "never" :
		       x->expires_ns > now ?
					xg_duration_str(x->expires_ns - now, d,
							sizeof(d)) :
					"expired",
		       xg_duration_str(
			       now > x->created_ns ? now - x->created_ns : 1,
			       age, sizeof(age)),
		       x->note);
	}
}

static bool any_source(const struct xg_source *src)
{
	int s;

	for (s = 1; s < XG_SOURCES_MAX; s++)
		if (src[s].name[0])
			return true;
	return false;
}

int do_bans(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{},
	};
	struct xg_source src[XG_SOURCES_MAX];
	struct xg_prefix_entry *pe = NULL;
	struct xg_ban_entry *e = NULL;
	size_t n = 0, np = 0, i, shown = 0;
	bool json = false, all = false;
	json_object *arr = NULL;
	struct xg_maps m;
	__u64 now;
	int c, err;

	optind = 1;
	opterr = 0; /* one message: ours */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'a')
			all = true;
		else
			return xg_usage_error("bans", "unknown option '%s'",
					      argv[optind - 1]);
	}
	if (optind < argc)
		return xg_usage_error("bans", "unexpected argument '%s'",
				      argv[optind]);
	if (open_maps("bans", &m))
		return 1;
	err = xg_ban_list(m.bans, &e, &n);
	if (!err)
		err = xg_prefix_dump(m.prefixes, &pe, &np);
	if (!err)
		err = xg_sources_read(m.sources, src);
	xg_maps_close(&m);
	if (err) {
		xg_err("cannot list bans: %s", xg_bpf_strerror(err));
		free(e);
		free(pe);
		return 1;
	}
	qsort(e, n, sizeof(*e), cmp_ban);
	now = xg_mono_ns();
	if (json)
		arr = json_object_new_array();
	for (i = 0; i < n + np; i++) {
		struct ban_row r;

		if (i < n) {
			r.k.prefixlen = 128;
			memcpy(r.k.a, e[i].addr.a, sizeof(r.k.a));
			r.ban = &e[i].ban;
			r.pv = NULL;
		} else {
			r.k = pe[i - n].key;
			r.ban = &pe[i - n].v.ban;
			r.pv = &pe[i - n].v;
			/* Imported prefixes are summed up per list below. */
			if (!all && !(r.pv->owners & XG_OWNER_DIRECT))
				continue;
		}
		if (!xg_ban_live(r.ban, now))
			continue;
		if (json)
			json_object_array_add(arr, ban_json(&r, src, now));
		else
			ban_text(&r, src, now, &shown);
	}
	if (json) {
		xg_print_json(arr);
	} else {
		if (!shown)
			printf("no bans%s\n",
			       any_source(src) ?
				       " besides the blocklists below" :
				       "");
		sources_text(src, now);
	}
	free(e);
	free(pe);
	return 0;
}

static int edit_allow(const char *verb, int argc, char **argv, bool add)
{
	bool json = false;
	const char *s = one_arg(verb, argc, argv, "prefix", &json);
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
	else if (json)
		print_action(verb, "prefix", p, NULL, 0);
	else
		printf("%s %s\n",
		       add ? "allowed" : "removed from allowlist:", p);
	/* The daemon saves the allowlist with the bans. */
	if (!err)
		xg_meta_note(m.meta, XG_META_CHANGED);
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
