// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Atomic replacement of one blocklist source in the prefix trie. Each entry
 * carries a bit per owning source, so a re-import is a diff against what
 * the trie holds: insert and update first (batch API: one syscall per few
 * thousand entries), then release what the source dropped. There is no
 * moment in which neither the old nor the new list is enforced, and a
 * prefix that another list or a ban of its own still owns stays.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "blocklist.h"
#include "common.h"
#include "import.h"

#define BATCH 8192

int xg_source_name_check(const char *name, const char **why)
{
	size_t i, len = strlen(name);

	if (!len || len >= XG_SOURCE_NAME_LEN) {
		*why = "a list name has 1 to 63 characters";
		return -EINVAL;
	}
	if (name[0] == '.') {
		*why = "a list name may not start with '.'";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._+@-", c))) {
			*why = "a list name has only letters, digits and ._+@-";
			return -EINVAL;
		}
	}
	return 0;
}

int xg_source_find(const struct xg_source src[XG_SOURCES_MAX], const char *name)
{
	int s;

	for (s = 1; s < XG_SOURCES_MAX; s++)
		if (src[s].name[0] &&
		    !strncmp(src[s].name, name, XG_SOURCE_NAME_LEN))
			return s;
	return -1;
}

/* Key/value arrays for the batch calls, plus what to restore on failure. */
struct batch {
	struct xg_lpm_key *k;
	struct xg_prefix_ban *v, *old; /* old: value before, for a rollback */
	bool *existed;
	size_t n;
};

static int batch_alloc(struct batch *b, size_t cap, bool undo)
{
	memset(b, 0, sizeof(*b));
	cap = cap ? cap : 1;
	b->k = malloc(cap * sizeof(*b->k));
	b->v = malloc(cap * sizeof(*b->v));
	if (undo) {
		b->old = malloc(cap * sizeof(*b->old));
		b->existed = malloc(cap * sizeof(*b->existed));
	}
	if (!b->k || !b->v || (undo && (!b->old || !b->existed)))
		return -ENOMEM;
	return 0;
}

static void batch_free(struct batch *b)
{
	free(b->k);
	free(b->v);
	free(b->old);
	free(b->existed);
}

/* Writes b in chunks; *done gets how many entries made it. */
static int write_batch(int fd, const struct batch *b, size_t *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	size_t i = 0;
	__u32 cnt;

	while (i < b->n) {
		cnt = b->n - i < BATCH ? b->n - i : BATCH;
		if (bpf_map_update_batch(fd, b->k + i, b->v + i, &cnt, &opts)) {
			int err = -errno;

			*done = i + cnt;
			return err;
		}
		i += cnt;
	}
	*done = i;
	return 0;
}

static void delete_batch(int fd, const struct xg_lpm_key *k, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t i = 0;
	__u32 cnt;

	while (i < n) {
		cnt = n - i < BATCH ? n - i : BATCH;
		/* An entry already gone (swept meanwhile) stops a chunk. */
		if (bpf_map_delete_batch(fd, k + i, &cnt, &opts)) {
			bpf_map_delete_elem(fd, k + i + cnt);
			cnt++;
		}
		i += cnt;
	}
}

/* Puts back what a failed write changed: new entries out, old values in. */
static void rollback(int fd, const struct batch *b, size_t done)
{
	size_t i;

	for (i = 0; i < done && i < b->n; i++) {
		if (b->existed[i])
			bpf_map_update_elem(fd, &b->k[i], &b->old[i], BPF_ANY);
		else
			bpf_map_delete_elem(fd, &b->k[i]);
	}
}

static __u32 trie_max(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

/* The diff and the writes; under the lists lock. */
static int apply_locked(const struct xg_lists *l,
			const struct xg_import_opts *o,
			const struct xg_lpm_key *keys, size_t n, bool remove,
			struct xg_import_result *r)
{
	struct xg_source src[XG_SOURCES_MAX], rec = {}, old_rec;
	struct xg_prefix_entry *cur = NULL;
	struct batch up = {}, rel = {};
	size_t ncur = 0, i, j, added = 0, done, ndel = 0;
	__u32 slot, bit, max;
	__u64 now = xg_mono_ns();
	int s, err;

	err = xg_sources_read(l->sources, src);
	if (err) {
		xg_err("cannot read the blocklist sources: %s",
		       xg_bpf_strerror(err));
		return err;
	}
	s = xg_source_find(src, o->name);
	if (s < 0 && remove) {
		xg_err("no blocklist named '%s' is loaded", o->name);
		return -ENOENT;
	}
	for (slot = 1; s < 0 && slot < XG_SOURCES_MAX; slot++)
		if (!src[slot].name[0])
			s = slot;
	if (s < 0) {
		xg_err("cannot load '%s': already %d blocklists loaded (remove one with 'xdpguard import --remove NAME')",
		       o->name, XG_SOURCES_MAX - 1);
		return -ENOSPC;
	}
	slot = s;
	bit = 1u << slot;
	old_rec = src[slot];
	if (!remove) {
		snprintf(rec.name, sizeof(rec.name), "%s", o->name);
		snprintf(rec.note, sizeof(rec.note), "%s",
			 o->note ? o->note : "");
		rec.expires_ns = o->expires_ns;
		/*
		 * Kept across re-imports: an unchanged list then rewrites
		 * nothing (its entries' creation time is the list's).
		 */
		rec.created_ns = o->created_ns	 ? o->created_ns :
				 old_rec.name[0] ? old_rec.created_ns :
						   now;
		rec.loaded_ns = now;
		rec.count = n;
	}
	src[slot] = rec;

	err = xg_prefix_dump(l->prefixes, &cur, &ncur);
	if (err) {
		xg_err("cannot read the prefix bans: %s", xg_bpf_strerror(err));
		return err;
	}
	err = batch_alloc(&up, n + ncur, true) ?:
						 batch_alloc(&rel, ncur, false);
	if (err) {
		xg_err("cannot load '%s': out of memory", o->name);
		goto out;
	}
	/* Both sorted: one merge walk finds new, changed and dropped entries. */
	for (i = j = 0; i < n || j < ncur;) {
		int c = i >= n	  ? 1 :
			j >= ncur ? -1 :
				    xg_lpm_key_cmp(&keys[i], &cur[j].key);
		struct xg_prefix_ban v;

		if (c < 0) { /* new to the trie */
			v = (struct xg_prefix_ban){ .prefixlen =
							    keys[i].prefixlen,
						    .owners = bit };
			xg_prefix_merge(&v, src);
			up.k[up.n] = keys[i];
			up.existed[up.n] = false;
			up.v[up.n++] = v;
			added++;
			i++;
		} else if (c == 0) { /* listed before, or owned by others */
			v = cur[j].v;
			v.owners |= bit;
			v.prefixlen = keys[i].prefixlen;
			xg_prefix_merge(&v, src);
			if (memcmp(&v, &cur[j].v, sizeof(v))) {
				up.k[up.n] = keys[i];
				up.existed[up.n] = true;
				up.old[up.n] = cur[j].v;
				up.v[up.n++] = v;
			}
			i++;
			j++;
		} else { /* in the trie only */
			v = cur[j].v;
			if (v.owners & bit) {
				v.owners &= ~bit;
				xg_prefix_merge(&v, src);
				rel.k[rel.n] = cur[j].key;
				rel.v[rel.n++] = v;
			}
			j++;
		}
	}

	max = trie_max(l->prefixes);
	if (max && ncur + added > max) {
		xg_err("cannot load '%s': ban_prefixes would hold %zu entries, over its capacity of %u (raise prefix_bans_max)",
		       o->name, ncur + added, max);
		xg_meta_update(l->meta, XG_META_FULL_PREFIXES, 0, NULL);
		err = -ENOSPC;
		goto out;
	}
	/* The gate counts the new entries before the first one lands. */
	err = xg_meta_update(l->meta, XG_META_PREFIXES, added, NULL);
	if (!err && bpf_map_update_elem(l->sources, &slot, &rec, BPF_ANY))
		err = -errno;
	if (err) {
		xg_err("cannot update the blocklist sources: %s",
		       xg_bpf_strerror(err));
		goto out;
	}
	err = write_batch(l->prefixes, &up, &done);
	if (err) {
		rollback(l->prefixes, &up, done);
		xg_meta_update(l->meta,
			       err == -ENOSPC || err == -E2BIG ||
					       err == -ENOMEM ?
				       XG_META_FULL_PREFIXES :
				       0,
			       -(long long)added, NULL);
		bpf_map_update_elem(l->sources, &slot, &old_rec, BPF_ANY);
		xg_err("cannot load '%s': writing prefix %zu of %zu failed: %s; nothing was changed",
		       o->name, done + 1, up.n, xg_bpf_strerror(err));
		goto out;
	}

	/* The new list is in force: now release what it dropped. */
	for (i = 0, ndel = 0; i < rel.n; i++) {
		if (rel.v[i].owners) {
			bpf_map_update_elem(l->prefixes, &rel.k[i], &rel.v[i],
					    BPF_ANY);
		} else {
			rel.k[ndel++] = rel.k[i];
		}
	}
	delete_batch(l->prefixes, rel.k, ndel);
	if (remove) {
		struct xg_source none = {};

		bpf_map_update_elem(l->sources, &slot, &none, BPF_ANY);
	}
	xg_meta_update(l->meta, XG_META_PREFIXES, -(long long)ndel, NULL);
	if (r) {
		r->slot = slot;
		r->total = n;
		r->added = added;
		r->dropped = rel.n;
		r->entries = ncur + added - ndel;
		r->max_entries = max;
	}
out:
	batch_free(&up);
	batch_free(&rel);
	free(cur);
	return err;
}

int xg_import_apply(const struct xg_lists *l, const struct xg_import_opts *o,
		    const struct xg_lpm_key *keys, size_t n,
		    struct xg_import_result *r)
{
	int lock, err;

	lock = xg_lists_lock(true);
	if (lock < 0)
		return lock;
	err = apply_locked(l, o, keys, n, false, r);
	xg_lists_unlock(lock);
	return err;
}

int xg_import_remove(const struct xg_lists *l, const char *name,
		     struct xg_import_result *r)
{
	struct xg_import_opts o = { .name = name };
	int lock, err;

	lock = xg_lists_lock(true);
	if (lock < 0)
		return lock;
	err = apply_locked(l, &o, NULL, 0, true, r);
	xg_lists_unlock(lock);
	return err;
}

/* Bad lines shown one by one before the rest is only counted. */
#define BAD_SHOWN 20

static void on_bad(const char *file, unsigned long line, const char *why,
		   void *ctx)
{
	unsigned long *shown = ctx;

	if ((*shown)++ < BAD_SHOWN)
		xg_err("%s:%lu: %s", file, line, why);
}

int xg_blocklist_load_checked(const char *path, bool skip_bad,
			      struct xg_blocklist *bl)
{
	unsigned long shown = 0;
	int err;

	err = xg_blocklist_load(path, bl, on_bad, &shown);
	if (err)
		return err;
	if (bl->bad && !skip_bad) {
		xg_err("%s: %lu bad line%s%s; nothing loaded (--skip-bad loads the rest)",
		       path, bl->bad, bl->bad == 1 ? "" : "s",
		       shown > BAD_SHOWN ? " (the first 20 shown)" : "");
		xg_blocklist_free(bl);
		return -EINVAL;
	}
	if (bl->bad)
		xg_warn("%s: skipped %lu bad line%s", path, bl->bad,
			bl->bad == 1 ? "" : "s");
	if (!bl->n) {
		xg_err("%s lists no address or prefix; nothing loaded (to drop a list use 'xdpguard import --remove NAME')",
		       path);
		xg_blocklist_free(bl);
		return -ENODATA;
	}
	return 0;
}

int xg_source_name_of(const char *path, const char *name, char *buf, size_t len)
{
	const char *why;
	char *tmp;

	if (!name) {
		tmp = strdup(path);
		if (!tmp)
			return -ENOMEM;
		snprintf(buf, len, "%s", basename(tmp));
		free(tmp);
	} else {
		snprintf(buf, len, "%s", name);
	}
	if (xg_source_name_check(buf, &why)) {
		xg_err("invalid list name '%s': %s%s", buf, why,
		       name ? "" : " (name it with --name)");
		return -EINVAL;
	}
	return 0;
}
