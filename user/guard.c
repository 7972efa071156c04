// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The daemon's list duties (see guard.h). Everything here happens between
 * polls, in user space; the datapath only ever sees finished map entries.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "aggregate.h"
#include "bans.h"
#include "blocklist.h"
#include "common.h"
#include "guard.h"
#include "import.h"
#include "output.h"
#include "parse.h"
#include "state.h"

#define ONLINK_MAX 64
/* A full ban map is said again at most this often. */
#define FULL_REPORT_NS (10 * NSEC_PER_SEC)

struct xg_guard {
	struct xg_guard_cfg cfg;
	struct xg_detect_cfg det;
	struct xg_lists l;
	int allow_fd;
	bool started;

	struct xg_blocklist lists[XG_BLOCKLISTS_MAX];
	char names[XG_BLOCKLISTS_MAX][XG_SOURCE_NAME_LEN];

	char state_path[XG_PATH_LEN];
	bool state_on;
	struct xg_state_saver saver;
	__u64 saved_changes;
	bool dirty;
	__u64 last_save_ns;

	struct xg_sweeper sweeper;
	struct xg_agg *agg;
	struct xg_detector *pdet; /* judges the per-prefix sums */
	struct xg_widen *widen;
	__u64 next_gc;
	__u64 full_reported;

	struct xg_lpm_key onlink[ONLINK_MAX];
	int nonlink;
	struct xg_addr *banned_now; /* banned this poll: out of the sums */
	size_t nbanned, capbanned;
};

void xg_guard_defaults(struct xg_guard_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->state_interval_ns = 10 * NSEC_PER_SEC;
	c->v6_prefix = 64;
	c->widen_v4 = 24;
	c->widen_v6 = 48;
}

int xg_guard_check(const struct xg_guard_cfg *c)
{
	if (c->widen_after && c->v6_prefix < 128 &&
	    c->widen_v6 >= c->v6_prefix) {
		xg_err("widen_v6 (/%u) must be shorter than v6_prefix (/%u)",
		       c->widen_v6, c->v6_prefix);
		return -EINVAL;
	}
	return 0;
}

static int list_name(const char *path, char *buf, size_t len)
{
	return xg_source_name_of(path, NULL, buf, len);
}

/* Reads every blocklist file into g->lists; nothing is loaded on error. */
static int read_lists(struct xg_guard *g, struct xg_blocklist *lists)
{
	int i, j, err;

	for (i = 0; i < g->cfg.nblocklists; i++) {
		err = list_name(g->cfg.blocklists[i], g->names[i],
				sizeof(g->names[i]));
		for (j = 0; !err && j < i; j++) {
			if (!strcmp(g->names[i], g->names[j])) {
				xg_err("two blocklists named '%s' (%s and %s): give them different file names",
				       g->names[i], g->cfg.blocklists[j],
				       g->cfg.blocklists[i]);
				err = -EINVAL;
			}
		}
		if (!err)
			err = xg_blocklist_load_checked(g->cfg.blocklists[i],
							g->cfg.skip_bad,
							&lists[i]);
		if (err) {
			while (--i >= 0)
				xg_blocklist_free(&lists[i]);
			return err;
		}
	}
	return 0;
}

int xg_guard_new(const struct xg_guard_cfg *cfg,
		 const struct xg_detect_cfg *det, struct xg_guard **out)
{
	struct xg_guard *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return -ENOMEM;
	g->cfg = *cfg;
	g->det = *det;
	err = read_lists(g, g->lists);
	if (err) {
		free(g);
		return err;
	}
	*out = g;
	return 0;
}

/* The networks of the guarded interfaces: one host does not own them. */
static void find_onlink(struct xg_guard *g, const char (*ifaces)[IF_NAMESIZE],
			int nifs)
{
	struct ifaddrs *ifa, *p;
	int i;

	if (getifaddrs(&ifa))
		return;
	for (p = ifa; p && g->nonlink < ONLINK_MAX; p = p->ifa_next) {
		struct xg_lpm_key k = {};
		bool ours = false;
		__u32 len = 0, j;
		const __u8 *m;

		for (i = 0; i < nifs; i++)
			ours |= !strcmp(p->ifa_name, ifaces[i]);
		if (!ours || !p->ifa_addr || !p->ifa_netmask)
			continue;
		if (p->ifa_addr->sa_family == AF_INET6) {
			memcpy(k.a,
			       &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr,
			       16);
			m = (const __u8 *)&(
				    (struct sockaddr_in6 *)p->ifa_netmask)
				    ->sin6_addr;
			for (j = 0; j < 16; j++)
				len += __builtin_popcount(m[j]);
		} else if (p->ifa_addr->sa_family == AF_INET) {
			k.a[10] = k.a[11] = 0xff;
			memcpy(&k.a[12],
			       &((struct sockaddr_in *)p->ifa_addr)->sin_addr,
			       4);
			m = (const __u8 *)&(
				    (struct sockaddr_in *)p->ifa_netmask)
				    ->sin_addr;
			for (j = 0, len = 96; j < 4; j++)
				len += __builtin_popcount(m[j]);
		} else {
			continue;
		}
		xg_prefix_mask(&k, len, &g->onlink[g->nonlink++]);
	}
	freeifaddrs(ifa);
}

/* True if k overlaps a guarded interface's network (either contains the other). */
static bool onlink(const struct xg_guard *g, const struct xg_lpm_key *k)
{
	struct xg_lpm_key a, b;
	int i;

	for (i = 0; i < g->nonlink; i++) {
		__u32 len = k->prefixlen < g->onlink[i].prefixlen ?
				    k->prefixlen :
				    g->onlink[i].prefixlen;

		xg_prefix_mask(k, len, &a);
		xg_prefix_mask(&g->onlink[i], len, &b);
		if (!memcmp(a.a, b.a, sizeof(a.a)))
			return true;
	}
	return false;
}

static struct xg_lpm_key addr_key(const struct xg_addr *a, __u32 len)
{
	struct xg_lpm_key k = { .prefixlen = 128 }, m;

	memcpy(k.a, a->a, sizeof(k.a));
	xg_prefix_mask(&k, len, &m);
	return m;
}

static void note_state(struct xg_guard *g, int err,
		       const struct xg_state_counts *c, const char *aside,
		       const char *why)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "file",
			       json_object_new_string(g->state_path));
	if (err == -EBADMSG) {
		json_object_object_add(o, "aside",
				       json_object_new_string(aside));
		json_object_object_add(o, "problem",
				       json_object_new_string(why));
		xg_output_note(
			"error", o,
			"state file %s is corrupt (%s): set aside as %s; starting without it",
			g->state_path, why, aside);
		return;
	}
	if (err == -ENOENT) {
		xg_output_note("state", o, "no state file at %s yet",
			       g->state_path);
		return;
	}
	json_object_object_add(o, "bans", json_object_new_int64(c->bans));
	json_object_object_add(o, "prefix_bans",
			       json_object_new_int64(c->prefix_bans));
	json_object_object_add(o, "blocklists",
			       json_object_new_int64(c->lists));
	json_object_object_add(o, "allow", json_object_new_int64(c->allows));
	json_object_object_add(o, "expired", json_object_new_int64(c->expired));
	xg_output_note(
		"state", o,
		"restored %zu bans, %zu prefix bans, %zu blocklists (%zu prefixes) and %zu allowlist entries from %s; %zu had expired",
		c->bans, c->prefix_bans, c->lists, c->list_prefixes, c->allows,
		g->state_path, c->expired);
}

/* Loads (or replaces) the blocklists of lists[]; stops at the first error. */
static int import_lists(struct xg_guard *g, struct xg_blocklist *lists)
{
	struct xg_import_result r;
	int i, err;

	for (i = 0; i < g->cfg.nblocklists; i++) {
		struct xg_import_opts o = { .name = g->names[i] };
		json_object *x = json_object_new_object();

		err = xg_import_apply(&g->l, &o, lists[i].keys, lists[i].n, &r);
		if (err) {
			json_object_put(x);
			return err;
		}
		json_object_object_add(x, "name",
				       json_object_new_string(g->names[i]));
		json_object_object_add(x, "prefixes",
				       json_object_new_int64(r.total));
		json_object_object_add(x, "added",
				       json_object_new_int64(r.added));
		json_object_object_add(x, "dropped",
				       json_object_new_int64(r.dropped));
		xg_output_note(
			"blocklist", x,
			"%s: %zu prefixes from %s (%zu new, %zu no longer listed); ban_prefixes %zu / %zu",
			g->names[i], r.total, g->cfg.blocklists[i], r.added,
			r.dropped, r.entries, r.max_entries);
	}
	return 0;
}

int xg_guard_start(struct xg_guard *g, const struct xg_lists *l, int allow_fd,
		   bool reused, const char (*ifaces)[IF_NAMESIZE], int nifs)
{
	struct xg_state_counts c;
	char aside[XG_PATH_LEN + 40], why[256];
	int err, i;

	g->l = *l;
	g->allow_fd = allow_fd;
	find_onlink(g, ifaces, nifs);
	g->state_on = strcmp(g->cfg.state_file, "none") != 0;
	if (!g->cfg.state_file[0])
		xg_state_default_path(g->state_path, sizeof(g->state_path));
	else
		snprintf(g->state_path, sizeof(g->state_path), "%s",
			 g->cfg.state_file);
	/* Pinned maps are newer than any file: they were in force all along. */
	if (g->state_on && !reused) {
		err = xg_state_load(g->state_path, &g->l, &c, aside,
				    sizeof(aside), why, sizeof(why));
		note_state(g, err, &c, aside, why);
		g->dirty = true;
	}
	err = import_lists(g, g->lists);
	for (i = 0; i < g->cfg.nblocklists; i++)
		xg_blocklist_free(&g->lists[i]);
	if (err)
		return err;

	if (g->cfg.v6_prefix < 128) {
		struct xg_agg_cfg ac = {
			.v6_prefix = g->cfg.v6_prefix,
			.min_members = 2,
		};

		ac.active_ns = g->det.syn_window_ns;
		if (g->det.icmp_window_ns > ac.active_ns)
			ac.active_ns = g->det.icmp_window_ns;
		if (g->det.conn_window_ns > ac.active_ns)
			ac.active_ns = g->det.conn_window_ns;
		g->agg = xg_agg_new(&ac);
		g->pdet = xg_detector_new(&g->det);
		if (!g->agg || !g->pdet)
			return -ENOMEM;
	}
	if (g->cfg.widen_after) {
		struct xg_widen_cfg wc = { .after = g->cfg.widen_after,
					   .v4_len = g->cfg.widen_v4,
					   .v6_len = g->cfg.widen_v6 };

		g->widen = xg_widen_new(&wc);
		if (!g->widen)
			return -ENOMEM;
	}
	g->started = true;
	return 0;
}

void xg_guard_seed(struct xg_guard *g, struct xg_detector *det)
{
	struct xg_ban_entry *e;
	__u64 now = xg_mono_ns();
	size_t n, i;

	if (!g->started || xg_ban_list(g->l.bans, &e, &n))
		return;
	/* Permanent bans never lift: no next offense to escalate. */
	for (i = 0; i < n; i++)
		if (e[i].ban.expires_ns && xg_ban_live(&e[i].ban, now))
			xg_detector_seed(det, &e[i].addr, e[i].ban.repeat,
					 e[i].ban.expires_ns);
	free(e);
}

static void report_full(struct xg_guard *g, const char *map, const char *what,
			const char *setting)
{
	__u64 now = xg_mono_ns();

	xg_meta_note(g->l.meta, !strcmp(map, "bans") ? XG_META_FULL_BANS :
						       XG_META_FULL_PREFIXES);
	if (g->full_reported && now - g->full_reported < FULL_REPORT_NS)
		return;
	g->full_reported = now;
	xg_output_note(
		"error", NULL,
		"%s is full: cannot ban %s (raise %s; 'xdpguard status' counts the refusals)",
		map, what, setting);
}

/* A prefix ban decided here (v6 offender, sum of a prefix, widening). */
static int ban_prefix(struct xg_guard *g, const struct xg_lpm_key *k, __u64 ttl,
		      __u32 reason, __u32 repeat, const char *why)
{
	char p[XG_PREFIX_STRLEN], d[XG_DURATION_STRLEN];
	json_object *o;
	int err;

	xg_prefix_str(k, p, sizeof(p));
	err = xg_prefix_ban(&g->l, k, ttl, reason, repeat, &g->sweeper);
	if (err == -ENOSPC) {
		report_full(g, "ban_prefixes", p, "prefix_bans_max");
		return err;
	}
	if (err) {
		xg_output_note("error", NULL, "cannot ban %s: %s", p,
			       xg_bpf_strerror(err));
		return err;
	}
	g->dirty = true;
	o = json_object_new_object();
	json_object_object_add(o, "prefix", json_object_new_string(p));
	json_object_object_add(o, "reason",
			       json_object_new_string(xg_reason_name(reason)));
	json_object_object_add(o, "ttl_s",
			       json_object_new_int64(ttl / NSEC_PER_SEC));
	json_object_object_add(o, "why", json_object_new_string(why));
	xg_output_note("ban_prefix", o, "%s banned (%s) for %s: %s", p,
		       xg_reason_name(reason),
		       ttl ? xg_duration_str(ttl, d, sizeof(d)) : "ever", why);
	return 0;
}

static void maybe_widen(struct xg_guard *g, const struct xg_lpm_key *k,
			__u64 ttl, __u32 reason)
{
	struct xg_lpm_key cover;
	char why[96], p[XG_PREFIX_STRLEN];
	__u64 now = xg_mono_ns();

	if (!g->widen ||
	    !xg_widen_note(g->widen, k, ttl ? now + ttl : 0, now, &cover))
		return;
	if (onlink(g, &cover))
		return;
	snprintf(why, sizeof(why),
		 "%u bans inside it (widen_after), the latest %s",
		 g->cfg.widen_after, xg_prefix_str(k, p, sizeof(p)));
	ban_prefix(g, &cover, ttl, reason, 1, why);
}

static void remember_banned(struct xg_guard *g, const struct xg_addr *a)
{
	if (g->nbanned == g->capbanned) {
		size_t cap = g->capbanned * 2 + 16;
		void *p = realloc(g->banned_now, cap * sizeof(*g->banned_now));

		if (!p)
			return;
		g->banned_now = p;
		g->capbanned = cap;
	}
	g->banned_now[g->nbanned++] = *a;
}

int xg_guard_ban(struct xg_guard *g, const struct xg_event *ev)
{
	struct xg_lpm_key k = addr_key(&ev->src, 128);
	char a[XG_ADDR_STRLEN], why[96];
	int err;

	remember_banned(g, &ev->src);
	if (!xg_addr_is_v4(&ev->src) && g->cfg.v6_prefix < 128 &&
	    !onlink(g, &k)) {
		/* One host owns the whole prefix: ban that, not one address. */
		k = addr_key(&ev->src, g->cfg.v6_prefix);
		snprintf(why, sizeof(why), "IPv6 offender %s (v6_prefix %u)",
			 xg_addr_str(&ev->src, a, sizeof(a)), g->cfg.v6_prefix);
		err = ban_prefix(g, &k, ev->ttl_ns, ev->reason, ev->repeat,
				 why);
		if (!err)
			maybe_widen(g, &k, ev->ttl_ns, ev->reason);
		return err;
	}
	err = xg_ban_add(g->l.bans, &ev->src, ev->ttl_ns, ev->reason,
			 ev->repeat);
	xg_addr_str(&ev->src, a, sizeof(a));
	if (err == -E2BIG) {
		report_full(g, "bans", a, "bans_max");
		return err;
	}
	if (err) {
		xg_output_note("error", NULL, "cannot ban %s: %s", a,
			       xg_bpf_strerror(err));
		return err;
	}
	g->dirty = true;
	if (!onlink(g, &k))
		maybe_widen(g, &k, ev->ttl_ns, ev->reason);
	return 0;
}

/* ---- the per-prefix detector ---- */

static bool prefix_allowed(const struct xg_addr *a, void *ctx)
{
	struct xg_guard *g = ctx;
	struct xg_lpm_key k = addr_key(a, g->cfg.v6_prefix);
	struct xg_allow v;

	/* An allow entry covering the whole prefix. */
	return !bpf_map_lookup_elem(g->allow_fd, &k, &v);
}

static void on_prefix_event(const struct xg_event *ev, void *ctx)
{
	struct xg_guard *g = ctx;
	struct xg_lpm_key k = addr_key(&ev->src, g->cfg.v6_prefix);
	char p[XG_PREFIX_STRLEN], why[128];
	json_object *o;

	xg_prefix_str(&k, p, sizeof(p));
	if (ev->type == XG_EV_BAN) {
		snprintf(
			why, sizeof(why),
			"%s by the sum of its addresses (value %llu, threshold %llu)",
			xg_kind_name(ev->kind), (unsigned long long)ev->value,
			(unsigned long long)ev->threshold);
		ban_prefix(g, &k, ev->ttl_ns, ev->reason, ev->repeat, why);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "kind",
			       json_object_new_string(xg_kind_name(ev->kind)));
	json_object_object_add(o, "prefix", json_object_new_string(p));
	json_object_object_add(o, "value", json_object_new_int64(ev->value));
	json_object_object_add(o, "threshold",
			       json_object_new_int64(ev->threshold));
	xg_output_note(
		xg_event_type_name(ev->type), o,
		"%s from prefix %s: value=%llu threshold=%llu (sum of its addresses)",
		xg_kind_name(ev->kind), p, (unsigned long long)ev->value,
		(unsigned long long)ev->threshold);
}

static bool agg_skip(const struct xg_addr *a, void *ctx)
{
	struct xg_guard *g = ctx;
	struct xg_lpm_key k = addr_key(a, 128);
	size_t i;

	for (i = 0; i < g->nbanned; i++)
		if (!memcmp(&g->banned_now[i], a, sizeof(*a)))
			return true;
	return onlink(g, &k);
}

static void on_prefix_unban(const struct xg_lpm_key *k,
			    const struct xg_prefix_ban *old, const char *source,
			    void *ctx)
{
	struct xg_guard *g = ctx;
	char p[XG_PREFIX_STRLEN];
	json_object *o = json_object_new_object();

	if (!k) {
		json_object_object_add(o, "blocklist",
				       json_object_new_string(source));
		xg_output_note("unban", o, "blocklist %s expired", source);
		return;
	}
	xg_prefix_str(k, p, sizeof(p));
	json_object_object_add(o, "src", json_object_new_string(p));
	json_object_object_add(
		o, "reason",
		json_object_new_string(xg_reason_name(old->ban.reason)));
	xg_output_note("unban", o, "src=%s reason=%s (expired)", p,
		       xg_reason_name(old->ban.reason));
	if (g->pdet && k->prefixlen == g->cfg.v6_prefix) {
		struct xg_addr a;

		memcpy(a.a, k->a, sizeof(a.a));
		xg_detector_forget(g->pdet, &a);
	}
}

static void save(struct xg_guard *g, __u64 now, bool last)
{
	struct xg_state_counts c;
	struct xg_meta m;

	if (xg_meta_read(g->l.meta, &m))
		return;
	if (!last && !g->dirty && m.changes == g->saved_changes)
		return;
	if (!last && now - g->last_save_ns < g->cfg.state_interval_ns)
		return;
	g->last_save_ns = now;
	if (xg_state_save(g->state_path, &g->l, &g->saver, &c))
		return; /* reported; tried again next interval */
	g->saved_changes = m.changes;
	g->dirty = false;
	xg_info("saved %zu bans, %zu prefix bans, %zu blocklists to %s", c.bans,
		c.prefix_bans, c.lists, g->state_path);
}

void xg_guard_tick(struct xg_guard *g, __u64 now,
		   const struct xg_src_sample *src,
		   const struct xg_src_sketch *sk, size_t n)
{
	struct xg_src_sample *sums;
	size_t nsums;

	if (!g->started)
		return;
	xg_prefix_sweep(&g->l, &g->sweeper, now, on_prefix_unban, g);
	if (g->agg) {
		nsums = xg_agg_poll(g->agg, now, src, sk, n, agg_skip, g,
				    &sums);
		xg_detector_poll(g->pdet, now, sums, nsums, NULL, 0, NULL, 0,
				 prefix_allowed, on_prefix_event, g);
	}
	g->nbanned = 0;
	if (g->widen && now >= g->next_gc) {
		xg_widen_gc(g->widen, now);
		g->next_gc = now + 10 * NSEC_PER_SEC;
	}
	if (g->state_on)
		save(g, now, false);
}

void xg_guard_reload(struct xg_guard *g)
{
	struct xg_blocklist lists[XG_BLOCKLISTS_MAX] = {};
	int i, err;

	if (!g->cfg.nblocklists) {
		xg_output_note("reload", NULL,
			       "no blocklist files to read again");
		return;
	}
	err = read_lists(g, lists);
	if (!err)
		err = import_lists(g, lists);
	for (i = 0; i < g->cfg.nblocklists; i++)
		xg_blocklist_free(&lists[i]);
	if (err)
		xg_output_note(
			"error", NULL,
			"reloading the blocklists failed (see above); what was loaded stays in force");
}

void xg_guard_stop(struct xg_guard *g)
{
	if (g && g->started && g->state_on)
		save(g, xg_mono_ns(), true);
}

void xg_guard_free(struct xg_guard *g)
{
	int i;

	if (!g)
		return;
	for (i = 0; i < g->cfg.nblocklists; i++)
		xg_blocklist_free(&g->lists[i]);
	xg_state_saver_free(&g->saver);
	xg_sweeper_free(&g->sweeper);
	xg_agg_free(g->agg);
	xg_detector_free(g->pdet);
	xg_widen_free(g->widen);
	free(g->banned_now);
	free(g);
}
