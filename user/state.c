// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The state file. Bans carry CLOCK_MONOTONIC times, which restart at boot,
 * so the file holds wall-clock (Unix) seconds: created and expiry, rounded
 * so that a restored ban never ends earlier than it would have. Writes are
 * atomic (temporary file, fsync, rename, fsync of the directory): after a
 * crash there is the old state or the new one, never half of one. A list's
 * prefixes go to "<state>.d/NAME-<hash>.netset", named by a hash of their
 * content, so an unchanged list is written once and checked on reading.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "bans.h"
#include "blocklist.h"
#include "common.h"
#include "vgen.h"
#include "import.h"
#include "parse.h"
#include "state.h"

#define STATE_DIR "/var/lib/xdpguard"

void xg_state_default_path(char *buf, size_t len)
{
	const char *dir = xg_pin_dir(), *base = strrchr(dir, '/');

	if (!strcmp(dir, XG_PIN_DIR_DEFAULT))
		snprintf(buf, len, STATE_DIR "/state.json");
	else
		snprintf(buf, len, STATE_DIR "/state-%s.json",
			 base ? base + 1 : dir);
}

/* Monotonic and wall clock read together, for conversions both ways. */
struct clocks {
	__u64 mono, real;
};

static struct clocks clocks_now(void)
{
	struct clocks c = { xg_mono_ns(), xg_real_ns() };

	return c;
}

/* Unix seconds of a monotonic instant; round_up for expiries. */
static long long to_unix(const struct clocks *c, __u64 mono, bool round_up)
{
	long long ns =
		(long long)c->real + ((long long)mono - (long long)c->mono);

	if (ns < 0)
		return 0;
	return round_up ? (ns + (long long)NSEC_PER_SEC - 1) /
				  (long long)NSEC_PER_SEC :
			  ns / (long long)NSEC_PER_SEC;
}

static __u64 to_mono(const struct clocks *c, long long unix_s)
{
	long long ns = unix_s * (long long)NSEC_PER_SEC - (long long)c->real +
		       (long long)c->mono;

	/* Created before this boot: as early as the monotonic clock goes. */
	return ns > 0 ? (__u64)ns : 1;
}

/* FNV-1a over the sorted keys: names a list file by its content. */
static __u64 keys_hash(const struct xg_lpm_key *k, size_t n)
{
	const __u8 *p = (const __u8 *)k;
	__u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n * sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int mkdirs(const char *path)
{
	char tmp[1024], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char tmp[1024];
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s", path);
	fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/* Writes f's content through fill() to path: tmp, fsync, rename, dir. */
static int write_atomic(const char *path, int (*fill)(FILE *f, void *ctx),
			void *ctx)
{
	char tmp[1100];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	err = fill(f, ctx);
	if (!err && fflush(f))
		err = -errno;
	if (!err && fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return fsync_dir_of(path);
}

static int fill_json(FILE *f, void *ctx)
{
	const char *s = json_object_to_json_string_ext(
		ctx, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			     JSON_C_TO_STRING_NOSLASHESCAPE);

	return fputs(s, f) < 0 || fputc('\n', f) < 0 ? -EIO : 0;
}

struct list_file {
	const struct xg_prefix_entry *e;
	size_t n;
	__u32 bit;
	const char *name;
};

static int fill_list(FILE *f, void *ctx)
{
	const struct list_file *lf = ctx;
	char p[XG_PREFIX_STRLEN];
	size_t i;

	fprintf(f, "# xdpguard saved blocklist %s\n", lf->name);
	for (i = 0; i < lf->n; i++)
		if (lf->e[i].v.owners & lf->bit &&
		    fprintf(f, "%s\n",
			    xg_prefix_str(&lf->e[i].key, p, sizeof(p))) < 0)
			return -EIO;
	return 0;
}

static json_object *time_obj(const struct clocks *c, __u64 mono, bool expiry)
{
	if (expiry && !mono)
		return NULL; /* never */
	return json_object_new_int64(to_unix(c, mono, expiry));
}

static json_object *ban_obj(const char *key, const char *what,
			    const struct xg_ban *b, __u64 expires,
			    const struct clocks *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(what));
	json_object_object_add(
		o, "reason", json_object_new_string(xg_reason_name(b->reason)));
	json_object_object_add(o, "created", time_obj(c, b->created_ns, false));
	json_object_object_add(o, "expires", time_obj(c, expires, true));
	json_object_object_add(o, "repeat", json_object_new_int64(b->repeat));
	return o;
}

/* Writes the list file of source slot s (once per import of it). */
static int save_list(const char *dir, const struct xg_lists *l,
		     const struct xg_source *x, int s, struct xg_saved_list *sl,
		     struct xg_prefix_entry **all, size_t *nall)
{
	struct list_file lf = { .bit = 1u << s, .name = x->name };
	char file[1100];
	struct xg_lpm_key *k;
	size_t i, n = 0;
	int err;

	if (!*all) {
		err = xg_prefix_dump(l->prefixes, all, nall);
		if (err) {
			xg_err("cannot read the prefix bans to save them: %s",
			       xg_bpf_strerror(err));
			return err;
		}
	}
	k = malloc((*nall ? *nall : 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (i = 0; i < *nall; i++)
		if ((*all)[i].v.owners & lf.bit)
			k[n++] = (*all)[i].key;
	snprintf(sl->hash, sizeof(sl->hash), "%016llx",
		 (unsigned long long)keys_hash(k, n));
	free(k);
	snprintf(sl->file, sizeof(sl->file), "%s-%s.netset", x->name, sl->hash);
	snprintf(file, sizeof(file), "%s/%s", dir, sl->file);
	lf.e = *all;
	lf.n = *nall;
	if (access(file, F_OK)) {
		err = write_atomic(file, fill_list, &lf);
		if (err) {
			xg_err("cannot write %s: %s", file, strerror(-err));
			sl->name[0] = '\0';
			return err;
		}
	}
	snprintf(sl->name, sizeof(sl->name), "%s", x->name);
	sl->loaded_ns = x->loaded_ns;
	sl->count = n;
	return 0;
}

/* The allowlist: a few entries, saved whole each time. */
static int save_allow(json_object *root, int fd, const struct clocks *c,
		      struct xg_state_counts *cnt)
{
	struct xg_allow_entry *e;
	char p[XG_PREFIX_STRLEN];
	json_object *ja;
	size_t n, i;
	int err;

	err = xg_allow_list(fd, &e, &n);
	if (err) {
		xg_err("cannot read the allowlist to save it: %s",
		       xg_bpf_strerror(err));
		return err;
	}
	ja = json_object_new_array();
	cnt->allows = 0;
	for (i = 0; i < n; i++) {
		json_object *o;

		/*
		 * Self-protection entries are the host's addresses of the
		 * moment: each start lists them afresh, so a saved one could
		 * only outlive an address the host gave up.
		 */
		if (e[i].allow.flags & XG_ALLOW_F_SELF)
			continue;
		o = json_object_new_object();
		cnt->allows++;
		json_object_object_add(o, "prefix",
				       json_object_new_string(xg_prefix_str(
					       &e[i].prefix, p, sizeof(p))));
		json_object_object_add(
			o, "created",
			time_obj(c, e[i].allow.created_ns, false));
		json_object_array_add(ja, o);
	}
	json_object_object_add(root, "allow", ja);
	free(e);
	return 0;
}

void xg_state_saver_free(struct xg_state_saver *sv)
{
	free(sv->direct);
	memset(sv, 0, sizeof(*sv));
}

/* Removes list files of <dir> that the state no longer names. */
static void prune_lists(const char *dir, json_object *lists)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[1400];
	size_t i;

	if (!d)
		return;
	while ((de = readdir(d))) {
		bool used = false;

		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < json_object_array_length(lists); i++) {
			json_object *f;

			if (json_object_object_get_ex(
				    json_object_array_get_idx(lists, i), "file",
				    &f) &&
			    !strcmp(json_object_get_string(f), de->d_name))
				used = true;
		}
		if (used)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

int xg_state_save(const char *path, const struct xg_lists *l,
		  struct xg_state_saver *sv, struct xg_state_counts *cnt)
{
	struct xg_source src[XG_SOURCES_MAX];
	struct xg_prefix_entry *all = NULL;
	struct xg_ban_entry *bans = NULL;
	json_object *root, *jb, *jp, *jl;
	char a[XG_PREFIX_STRLEN], dir[560];
	size_t nbans = 0, nall = 0, i, nd;
	struct clocks c;
	struct xg_meta m;
	int err, s;

	memset(cnt, 0, sizeof(*cnt));
	snprintf(dir, sizeof(dir), "%s.d", path);
	err = mkdirs(dir);
	if (err) {
		xg_err("cannot create %s: %s", dir, strerror(-err));
		return err;
	}
	err = xg_meta_read(l->meta, &m) ?: xg_sources_read(l->sources, src);
	err = err ?: xg_ban_list(l->bans, &bans, &nbans);
	/* The trie only when it changed: it may hold a million entries. */
	if (!err &&
	    (!sv->have_prefixes || m.prefix_changes != sv->prefix_changes))
		err = xg_prefix_dump(l->prefixes, &all, &nall);
	if (err) {
		xg_err("cannot read the bans to save them: %s",
		       xg_bpf_strerror(err));
		goto out;
	}
	if (all) {
		for (i = nd = 0; i < nall; i++)
			if (all[i].v.owners & XG_OWNER_DIRECT)
				nd++;
		free(sv->direct);
		sv->direct = malloc((nd ? nd : 1) * sizeof(*sv->direct));
		if (!sv->direct) {
			sv->have_prefixes = false;
			err = -ENOMEM;
			goto out;
		}
		for (i = nd = 0; i < nall; i++)
			if (all[i].v.owners & XG_OWNER_DIRECT)
				sv->direct[nd++] = all[i];
		sv->ndirect = nd;
		sv->have_prefixes = true;
		sv->prefix_changes = m.prefix_changes;
	}

	c = clocks_now();
	root = json_object_new_object();
	json_object_object_add(root, "version",
			       json_object_new_int(XG_STATE_VERSION));
	json_object_object_add(root, "saved",
			       json_object_new_int64(c.real / NSEC_PER_SEC));
	jb = json_object_new_array();
	for (i = 0; i < nbans; i++) {
		if (!xg_ban_live(&bans[i].ban, c.mono))
			continue;
		json_object_array_add(
			jb, ban_obj("addr",
				    xg_addr_str(&bans[i].addr, a, sizeof(a)),
				    &bans[i].ban, bans[i].ban.expires_ns, &c));
		cnt->bans++;
	}
	json_object_object_add(root, "bans", jb);
	jp = json_object_new_array();
	for (i = 0; i < sv->ndirect; i++) {
		const struct xg_prefix_entry *e = &sv->direct[i];

		if (e->v.direct_expires_ns && e->v.direct_expires_ns <= c.mono)
			continue;
		json_object_array_add(
			jp,
			ban_obj("prefix", xg_prefix_str(&e->key, a, sizeof(a)),
				&e->v.ban, e->v.direct_expires_ns, &c));
		cnt->prefix_bans++;
	}
	json_object_object_add(root, "prefix_bans", jp);
	if (l->allow >= 0) {
		err = save_allow(root, l->allow, &c, cnt);
		if (err)
			goto out_json;
	}

	jl = json_object_new_array();
	for (s = 1; s < XG_SOURCES_MAX; s++) {
		const struct xg_source *x = &src[s];
		struct xg_saved_list *sl = &sv->lists[s];
		json_object *o;

		if (!x->name[0] || (x->expires_ns && x->expires_ns <= c.mono))
			continue;
		if (strcmp(sl->name, x->name) ||
		    sl->loaded_ns != x->loaded_ns) {
			err = save_list(dir, l, x, s, sl, &all, &nall);
			if (err)
				break;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(x->name));
		json_object_object_add(o, "note",
				       json_object_new_string(x->note));
		json_object_object_add(o, "created",
				       time_obj(&c, x->created_ns, false));
		json_object_object_add(o, "loaded",
				       time_obj(&c, x->loaded_ns, false));
		json_object_object_add(o, "expires",
				       time_obj(&c, x->expires_ns, true));
		json_object_object_add(o, "count",
				       json_object_new_int64(sl->count));
		json_object_object_add(o, "hash",
				       json_object_new_string(sl->hash));
		json_object_object_add(o, "file",
				       json_object_new_string(sl->file));
		json_object_array_add(jl, o);
		cnt->lists++;
		cnt->list_prefixes += sl->count;
	}
	json_object_object_add(root, "blocklists", jl);
	if (!err) {
		err = write_atomic(path, fill_json, root);
		if (err)
			xg_err("cannot write the state file %s: %s", path,
			       strerror(-err));
	}
	if (!err)
		prune_lists(dir, jl);
out_json:
	json_object_put(root);
out:
	free(bans);
	free(all);
	return err;
}

/* ---- loading ---- */

struct loaded {
	struct xg_ban_entry *bans;
	size_t nbans;
	struct xg_allow_entry *allow;
	size_t nallow;
	struct xg_prefix_entry *pfx;
	size_t npfx;
	struct {
		char name[XG_SOURCE_NAME_LEN], note[XG_SOURCE_NAME_LEN];
		__u64 created, expires;
		struct xg_blocklist bl;
	} lists[XG_SOURCES_MAX];
	int nlists;
};

static void loaded_free(struct loaded *ld)
{
	int i;

	free(ld->bans);
	free(ld->allow);
	free(ld->pfx);
	for (i = 0; i < ld->nlists; i++)
		xg_blocklist_free(&ld->lists[i].bl);
}

#define BAD(...)                                     \
	do {                                         \
		snprintf(why, why_len, __VA_ARGS__); \
		return -EBADMSG;                     \
	} while (0)

static int get_time(json_object *o, const char *key, bool null_ok,
		    long long *out, const char *what, size_t idx, char *why,
		    size_t why_len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		BAD("%s %zu has no \"%s\"", what, idx, key);
	if (!v && null_ok) {
		*out = -1;
		return 0;
	}
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		BAD("%s %zu: \"%s\" is not a time in Unix seconds", what, idx,
		    key);
	*out = json_object_get_int64(v);
	return 0;
}

static int get_str(json_object *o, const char *key, const char **out,
		   const char *what, size_t idx, char *why, size_t why_len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		BAD("%s %zu has no \"%s\" string", what, idx, key);
	*out = json_object_get_string(v);
	return 0;
}

/* One ban entry: key string parsed by the caller; times and reason here. */
static int get_ban(json_object *o, const char *what, size_t idx,
		   const struct clocks *c, struct xg_ban *b, __u64 *expires,
		   char *why, size_t why_len)
{
	const char *reason;
	long long created, exp;
	json_object *v;
	int err;

	err = get_str(o, "reason", &reason, what, idx, why, why_len) ?:
		      get_time(o, "created", false, &created, what, idx, why, why_len) ?:
		      get_time(o, "expires", true, &exp, what, idx, why,
			       why_len);
	if (err)
		return err;
	if (xg_reason_parse(reason, &b->reason))
		BAD("%s %zu: unknown reason '%.40s'", what, idx, reason);
	if (!json_object_object_get_ex(o, "repeat", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0 ||
	    json_object_get_int64(v) > 0xffffffffLL)
		BAD("%s %zu: \"repeat\" is not a count", what, idx);
	b->repeat = json_object_get_int64(v);
	b->created_ns = to_mono(c, created);
	*expires = exp < 0 ? 0 : to_mono(c, exp);
	b->expires_ns = *expires;
	return 0;
}

static json_object *get_array(json_object *root, const char *key, char *why,
			      size_t why_len)
{
	json_object *v;

	if (!json_object_object_get_ex(root, key, &v) ||
	    !json_object_is_type(v, json_type_array)) {
		snprintf(why, why_len, "no \"%s\" array", key);
		return NULL;
	}
	return v;
}

/* Reads and checks everything; applies nothing. */
static int parse_state(json_object *root, const char *path,
		       const struct clocks *c, struct loaded *ld, char *why,
		       size_t why_len)
{
	json_object *jb, *jp, *jl, *ja, *v;
	size_t i, n;
	int err;

	if (!json_object_is_type(root, json_type_object))
		BAD("not a JSON object");
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int))
		BAD("no \"version\"");
	if (json_object_get_int(v) != XG_STATE_VERSION)
		BAD("version %d, this xdpguard reads version %d",
		    json_object_get_int(v), XG_STATE_VERSION);
	if (!(jb = get_array(root, "bans", why, why_len)) ||
	    !(jp = get_array(root, "prefix_bans", why, why_len)) ||
	    !(jl = get_array(root, "blocklists", why, why_len)) ||
	    !(ja = get_array(root, "allow", why, why_len)))
		return -EBADMSG;
	n = json_object_array_length(ja);
	ld->allow = calloc(n ? n : 1, sizeof(*ld->allow));
	if (!ld->allow)
		BAD("out of memory");
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(ja, i);
		struct xg_allow_entry *e = &ld->allow[ld->nallow];
		long long created;
		const char *s;

		if (!json_object_is_type(o, json_type_object))
			BAD("allow entry %zu is not an object", i);
		err = get_str(o, "prefix", &s, "allow entry", i, why, why_len) ?:
			      get_time(o, "created", false, &created,
				       "allow entry", i, why, why_len);
		if (err)
			return err;
		if (xg_parse_prefix(s, &e->prefix))
			BAD("allow entry %zu: '%.50s': %s", i, s,
			    xg_parse_error());
		e->allow.created_ns = to_mono(c, created);
		ld->nallow++;
	}

	n = json_object_array_length(jb);
	ld->bans = calloc(n ? n : 1, sizeof(*ld->bans));
	n = json_object_array_length(jp);
	ld->pfx = calloc(n ? n : 1, sizeof(*ld->pfx));
	if (!ld->bans || !ld->pfx)
		BAD("out of memory");
	for (i = 0; i < json_object_array_length(jb); i++) {
		json_object *o = json_object_array_get_idx(jb, i);
		struct xg_ban_entry *e = &ld->bans[ld->nbans];
		const char *s;
		__u64 exp;

		if (!json_object_is_type(o, json_type_object))
			BAD("ban %zu is not an object", i);
		err = get_str(o, "addr", &s, "ban", i, why, why_len) ?:
			      get_ban(o, "ban", i, c, &e->ban, &exp, why,
				      why_len);
		if (err)
			return err;
		if (xg_parse_addr(s, &e->addr))
			BAD("ban %zu: address '%.50s': %s", i, s,
			    xg_parse_error());
		ld->nbans++;
	}
	for (i = 0; i < json_object_array_length(jp); i++) {
		json_object *o = json_object_array_get_idx(jp, i);
		struct xg_prefix_entry *e = &ld->pfx[ld->npfx];
		const char *s;

		if (!json_object_is_type(o, json_type_object))
			BAD("prefix ban %zu is not an object", i);
		err = get_str(o, "prefix", &s, "prefix ban", i, why, why_len) ?:
			      get_ban(o, "prefix ban", i, c, &e->v.ban,
				      &e->v.direct_expires_ns, why, why_len);
		if (err)
			return err;
		if (xg_parse_prefix(s, &e->key) || xg_prefix_covers_v4(&e->key))
			BAD("prefix ban %zu: '%.50s' is not a prefix to ban", i,
			    s);
		ld->npfx++;
	}
	for (i = 0; i < json_object_array_length(jl); i++) {
		json_object *o = json_object_array_get_idx(jl, i), *cv;
		const char *name, *note, *file, *hash, *bad;
		char lpath[800], h[20];
		long long created, exp;
		FILE *f;

		if (ld->nlists >= XG_SOURCES_MAX - 1)
			BAD("more than %d blocklists", XG_SOURCES_MAX - 1);
		if (!json_object_is_type(o, json_type_object))
			BAD("blocklist %zu is not an object", i);
		err = get_str(o, "name", &name, "blocklist", i, why, why_len) ?:
			      get_str(o, "note", &note, "blocklist", i, why, why_len) ?:
			      get_str(o, "file", &file, "blocklist", i, why, why_len) ?:
			      get_str(o, "hash", &hash, "blocklist", i, why, why_len) ?:
			      get_time(o, "created", false, &created, "blocklist", i, why, why_len) ?:
			      get_time(o, "expires", true, &exp, "blocklist", i,
				       why, why_len);
		if (err)
			return err;
		if (xg_source_name_check(name, &bad))
			BAD("blocklist %zu: name '%.64s': %s", i, name, bad);
		if (strchr(file, '/') || file[0] == '.')
			BAD("blocklist %s: file '%.64s' is not a plain name",
			    name, file);
		if (!json_object_object_get_ex(o, "count", &cv) ||
		    !json_object_is_type(cv, json_type_int))
			BAD("blocklist %s has no \"count\"", name);
		snprintf(lpath, sizeof(lpath), "%s.d/%s", path, file);
		f = fopen(lpath, "re");
		if (!f)
			BAD("blocklist %s: cannot read %s: %s", name, lpath,
			    strerror(errno));
		err = xg_blocklist_read(f, lpath, &ld->lists[ld->nlists].bl,
					NULL, NULL);
		fclose(f);
		if (err)
			BAD("blocklist %s: cannot read %s: %s", name, lpath,
			    strerror(-err));
		ld->nlists++;
		if (ld->lists[ld->nlists - 1].bl.bad)
			BAD("blocklist %s: %s has %lu bad lines", name, lpath,
			    ld->lists[ld->nlists - 1].bl.bad);
		if ((long long)ld->lists[ld->nlists - 1].bl.n !=
		    json_object_get_int64(cv))
			BAD("blocklist %s: %s holds %zu prefixes, the state says %lld",
			    name, lpath, ld->lists[ld->nlists - 1].bl.n,
			    (long long)json_object_get_int64(cv));
		snprintf(h, sizeof(h), "%016llx",
			 (unsigned long long)keys_hash(
				 ld->lists[ld->nlists - 1].bl.keys,
				 ld->lists[ld->nlists - 1].bl.n));
		if (strcmp(h, hash))
			BAD("blocklist %s: %s does not match its hash", name,
			    lpath);
		snprintf(ld->lists[ld->nlists - 1].name, XG_SOURCE_NAME_LEN,
			 "%s", name);
		snprintf(ld->lists[ld->nlists - 1].note, XG_SOURCE_NAME_LEN,
			 "%s", note);
		ld->lists[ld->nlists - 1].created = to_mono(c, created);
		ld->lists[ld->nlists - 1].expires =
			exp < 0 ? 0 : to_mono(c, exp);
	}
	return 0;
}

static void set_aside(const char *path, char *aside, size_t len)
{
	snprintf(aside, len, "%s.corrupt-%llu", path,
		 (unsigned long long)(xg_real_ns() / NSEC_PER_SEC));
	if (rename(path, aside))
		snprintf(aside, len, "(could not rename it: %s)",
			 strerror(errno));
}

static int apply_state(const struct loaded *ld, const struct xg_lists *l,
		       const struct clocks *c, struct xg_state_counts *cnt)
{
	int i, err, first = 0;
	size_t j;

	/* The allowlist first: it wins over every ban from the start. */
	for (j = 0; l->allow >= 0 && j < ld->nallow; j++) {
		if (bpf_map_update_elem(l->allow, &ld->allow[j].prefix,
					&ld->allow[j].allow, BPF_ANY)) {
			err = -errno;
			first = first ?: err;
			continue;
		}
		cnt->allows++;
	}
	for (j = 0; j < ld->nbans; j++) {
		const struct xg_ban_entry *e = &ld->bans[j];

		if (!xg_ban_live(&e->ban, c->mono)) {
			cnt->expired++;
			continue;
		}
		if (bpf_map_update_elem(l->bans, &e->addr, &e->ban, BPF_ANY)) {
			err = -errno;
			first = first ?: err;
			continue;
		}
		cnt->bans++;
	}
	for (j = 0; j < ld->npfx; j++) {
		const struct xg_prefix_entry *e = &ld->pfx[j];

		if (e->v.direct_expires_ns &&
		    e->v.direct_expires_ns <= c->mono) {
			cnt->expired++;
			continue;
		}
		err = xg_prefix_restore(l, &e->key, e->v.ban.created_ns,
					e->v.direct_expires_ns, e->v.ban.reason,
					e->v.ban.repeat, NULL);
		if (err) {
			first = first ?: err;
			continue;
		}
		cnt->prefix_bans++;
	}
	for (i = 0; i < ld->nlists; i++) {
		struct xg_import_opts o = {
			.name = ld->lists[i].name,
			.note = ld->lists[i].note,
			.created_ns = ld->lists[i].created,
			.expires_ns = ld->lists[i].expires,
		};

		if (o.expires_ns && o.expires_ns <= c->mono) {
			cnt->expired++;
			continue;
		}
		err = xg_import_apply(l, &o, ld->lists[i].bl.keys,
				      ld->lists[i].bl.n, NULL);
		if (err) {
			first = first ?: err;
			continue;
		}
		cnt->lists++;
		cnt->list_prefixes += ld->lists[i].bl.n;
	}
	if (first)
		xg_err("some saved bans could not be restored: %s",
		       xg_bpf_strerror(first));
	return first;
}

int xg_state_load(const char *path, const struct xg_lists *l,
		  struct xg_state_counts *cnt, char *aside, size_t aside_len,
		  char *why, size_t why_len)
{
	enum json_tokener_error jerr = json_tokener_success;
	struct loaded ld = {};
	json_object *root;
	struct clocks c;
	struct stat st;
	int err;

	memset(cnt, 0, sizeof(*cnt));
	if (stat(path, &st)) {
		if (errno == ENOENT)
			return -ENOENT;
		err = -errno;
		xg_err("cannot read the state file %s: %s", path,
		       strerror(errno));
		return err;
	}
	root = json_object_from_file(path);
	if (!root) {
		snprintf(why, why_len, "not valid JSON (%s)",
			 json_util_get_last_err() ?
				 json_util_get_last_err() :
				 json_tokener_error_desc(jerr));
		why[strcspn(why, "\n")] = '\0';
		err = -EBADMSG;
	} else {
		c = clocks_now();
		err = parse_state(root, path, &c, &ld, why, why_len);
	}
	json_object_put(root);
	if (err) {
		loaded_free(&ld);
		set_aside(path, aside, aside_len);
		return -EBADMSG;
	}
	err = apply_state(&ld, l, &c, cnt);
	xg_verdicts_changed();
	loaded_free(&ld);
	return err;
}
