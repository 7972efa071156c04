// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prefix bans. One trie entry may have several owners (its own ban, and
 * each blocklist listing the prefix); the value the datapath enforces is
 * their merge, recomputed here whenever an owner comes or goes. Every
 * read-modify-write of the trie, the sources and meta happens under one
 * lock, so a CLI ban, an import and the daemon's sweep never lose each
 * other's owners.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>

#include "common.h"
#include "vgen.h"
#include "maps.h"
#include "parse.h"
#include "prefixes.h"

__u64 xg_expiry_later(__u64 a, __u64 b)
{
	if (!a || !b)
		return 0;
	return a > b ? a : b;
}

void xg_prefix_merge(struct xg_prefix_ban *v,
		     const struct xg_source src[XG_SOURCES_MAX])
{
	bool any = false, direct = v->owners & XG_OWNER_DIRECT;
	__u64 exp = 0, created = 0;
	int s;

	if (direct) {
		exp = v->direct_expires_ns;
		created = v->ban.created_ns;
		any = true;
	}
	for (s = 1; s < XG_SOURCES_MAX; s++) {
		if (!(v->owners & (1u << s)))
			continue;
		exp = any ? xg_expiry_later(exp, src[s].expires_ns) :
			    src[s].expires_ns;
		if (!direct && (!created || src[s].created_ns < created))
			created = src[s].created_ns;
		any = true;
	}
	v->ban.expires_ns = exp;
	v->ban.created_ns = created;
	if (!direct) {
		v->ban.reason = XG_REASON_BLOCKLIST;
		v->ban.repeat = 0;
		v->direct_expires_ns = 0;
	}
}

static bool expired(__u64 expires_ns, __u64 now)
{
	return expires_ns && expires_ns <= now;
}

bool xg_prefix_expire(struct xg_prefix_ban *v,
		      const struct xg_source src[XG_SOURCES_MAX], __u64 now)
{
	__u32 keep = v->owners;
	int s;

	if (keep & XG_OWNER_DIRECT && expired(v->direct_expires_ns, now))
		keep &= ~XG_OWNER_DIRECT;
	for (s = 1; s < XG_SOURCES_MAX; s++)
		if (keep & (1u << s) &&
		    (!src[s].name[0] || expired(src[s].expires_ns, now)))
			keep &= ~(1u << s);
	if (keep == v->owners)
		return false;
	v->owners = keep;
	xg_prefix_merge(v, src);
	return true;
}

void xg_prefix_mask(const struct xg_lpm_key *k, __u32 len,
		    struct xg_lpm_key *out)
{
	__u32 i;

	*out = *k;
	out->prefixlen = len;
	for (i = 0; i < 16; i++) {
		int bits = (int)len - 8 * (int)i;

		if (bits <= 0)
			out->a[i] = 0;
		else if (bits < 8)
			out->a[i] &= (__u8)(0xff << (8 - bits));
	}
}

static __u64 be64_at(const __u8 *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* Two 64-bit compares, not memcmp(): sorting a million keys is mostly this. */
int xg_lpm_key_cmp(const void *a, const void *b)
{
	const struct xg_lpm_key *x = a, *y = b;
	__u64 p = be64_at(x->a), q = be64_at(y->a);

	if (p == q) {
		p = be64_at(x->a + 8);
		q = be64_at(y->a + 8);
	}
	if (p != q)
		return p < q ? -1 : 1;
	return x->prefixlen < y->prefixlen ? -1 : x->prefixlen > y->prefixlen;
}

int xg_lists_lock(bool wait)
{
	const char *dir = xg_pin_dir(), *base = strrchr(dir, '/');
	bool def = !strcmp(dir, XG_PIN_DIR_DEFAULT);
	char path[300];
	int fd, err;

	snprintf(path, sizeof(path), "/run/xdpguard%s%s.lists.lock",
		 def ? "" : "-", def ? "" : (base ? base + 1 : dir));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		xg_err("cannot open the lists lock %s: %s", path,
		       strerror(errno));
		return err;
	}
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) {
		err = -errno;
		if (err != -EWOULDBLOCK)
			xg_err("cannot lock %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Every change to ban_prefixes (and through import, sources) happens under
 * the lock: releasing it is where the XDP program's cached verdicts go.
 */
void xg_lists_unlock(int fd)
{
	if (fd < 0)
		return;
	xg_verdicts_changed();
	close(fd);
}

int xg_sources_read(int fd, struct xg_source src[XG_SOURCES_MAX])
{
	__u32 i;

	for (i = 0; i < XG_SOURCES_MAX; i++)
		if (bpf_map_lookup_elem(fd, &i, &src[i]))
			return -errno;
	return 0;
}

int xg_meta_read(int fd, struct xg_meta *m)
{
	__u32 zero = 0;

	/* A meta pinned by an older version is shorter: its new fields read 0. */
	memset(m, 0, sizeof(*m));
	return bpf_map_lookup_elem(fd, &zero, m) ? -errno : 0;
}

int xg_meta_update(int fd, unsigned int ops, long long entries, __u64 *before)
{
	struct xg_meta m;
	__u32 zero = 0;
	int err;

	err = xg_meta_read(fd, &m);
	if (err)
		return err;
	if (before)
		*before = m.prefix_changes;
	if (ops & XG_META_CHANGED)
		m.changes++;
	if (ops & XG_META_PREFIXES) {
		m.changes++;
		m.prefix_changes++;
	}
	if (ops & XG_META_FULL_BANS)
		m.full_bans++;
	if (ops & XG_META_FULL_PREFIXES)
		m.full_prefixes++;
	if (ops & XG_META_SET_ENTRIES)
		m.prefix_entries = entries > 0 ? entries : 0;
	else if (entries < 0 && (__u64)-entries > m.prefix_entries)
		m.prefix_entries = 0;
	else
		m.prefix_entries += entries;
	return bpf_map_update_elem(fd, &zero, &m, BPF_ANY) ? -errno : 0;
}

int xg_meta_note(int fd, unsigned int ops)
{
	int lock = xg_lists_lock(true), err;

	if (lock < 0)
		return lock;
	err = xg_meta_update(fd, ops, 0, NULL);
	xg_lists_unlock(lock);
	return err;
}

/*
 * Reads the whole trie with the batch API (the kernel walks it with its
 * generic batch code: one syscall per few thousand entries, not two per
 * entry).
 */
int xg_prefix_dump(int fd, struct xg_prefix_entry **out, size_t *n)
{
	struct xg_prefix_ban *v = NULL;
	struct xg_prefix_entry *res;
	struct xg_lpm_key *k = NULL;
	size_t got = 0, i;
	int err;

	err = xg_map_dump(fd, sizeof(*k), sizeof(*v), (void **)&k, (void **)&v,
			  &got);
	if (err)
		return err;
	res = malloc((got ? got : 1) * sizeof(*res));
	if (!res)
		err = -ENOMEM;
	for (i = 0; !err && i < got; i++) {
		res[i].key = k[i];
		res[i].v = v[i];
	}
	free(k);
	free(v);
	if (err)
		return err;
	qsort(res, got, sizeof(*res), xg_lpm_key_cmp);
	*out = res;
	*n = got;
	return 0;
}

static void due_add(struct xg_sweeper *s, const struct xg_lpm_key *k,
		    __u64 expires)
{
	if (!expires)
		return;
	if (s->ndue == s->capdue) {
		size_t cap = s->capdue * 2 + 64;
		void *p = realloc(s->due, cap * sizeof(*s->due));

		/* Without room the next full pass finds it anyway. */
		if (!p) {
			s->scanned = false;
			return;
		}
		s->due = p;
		s->capdue = cap;
	}
	s->due[s->ndue].key = *k;
	s->due[s->ndue++].expires_ns = expires;
}

int xg_prefix_ban(const struct xg_lists *l, const struct xg_lpm_key *k,
		  __u64 ttl_ns, __u32 reason, __u32 repeat,
		  struct xg_sweeper *sw)
{
	__u64 now = xg_mono_ns();

	return xg_prefix_restore(l, k, now, ttl_ns ? now + ttl_ns : 0, reason,
				 repeat, sw);
}

int xg_prefix_restore(const struct xg_lists *l, const struct xg_lpm_key *k,
		      __u64 created_ns, __u64 expires_ns, __u32 reason,
		      __u32 repeat, struct xg_sweeper *sw)
{
	struct xg_source src[XG_SOURCES_MAX];
	struct xg_prefix_ban v = {};
	bool is_new = false;
	__u64 before;
	int lock, err;

	lock = xg_lists_lock(true);
	if (lock < 0)
		return lock;
	err = xg_sources_read(l->sources, src);
	if (err)
		goto out;
	if (bpf_map_lookup_elem(l->prefixes, k, &v)) {
		memset(&v, 0, sizeof(v));
		is_new = true;
	}
	v.prefixlen = k->prefixlen;
	v.owners |= XG_OWNER_DIRECT;
	v.direct_expires_ns = expires_ns;
	v.ban.created_ns = created_ns;
	v.ban.reason = reason;
	v.ban.repeat = repeat;
	xg_prefix_merge(&v, src);
	/* The gate counts the entry before it exists, never after. */
	err = xg_meta_update(l->meta, XG_META_PREFIXES, is_new, &before);
	if (err)
		goto out;
	if (bpf_map_update_elem(l->prefixes, k, &v, BPF_ANY)) {
		err = -errno;
		if (err == -ENOSPC || err == -E2BIG || err == -ENOMEM)
			err = -ENOSPC;
		xg_meta_update(l->meta,
			       err == -ENOSPC ? XG_META_FULL_PREFIXES : 0,
			       -(long long)is_new, NULL);
		goto out;
	}
	if (sw) {
		/* Nobody else wrote since our last pass: stay incremental. */
		if (sw->seen == before)
			sw->seen = before + 1;
		due_add(sw, k, v.direct_expires_ns);
	}
out:
	xg_lists_unlock(lock);
	return err;
}

int xg_prefix_unban(const struct xg_lists *l, const struct xg_lpm_key *k,
		    __u32 *owners)
{
	struct xg_source src[XG_SOURCES_MAX];
	struct xg_prefix_ban v;
	int lock, err;

	lock = xg_lists_lock(true);
	if (lock < 0)
		return lock;
	err = xg_sources_read(l->sources, src);
	if (err)
		goto out;
	if (bpf_map_lookup_elem(l->prefixes, k, &v)) {
		err = -errno;
		*owners = 0;
		goto out;
	}
	*owners = v.owners & ~XG_OWNER_DIRECT;
	if (!(v.owners & XG_OWNER_DIRECT)) {
		err = -ENOENT;
		goto out;
	}
	v.owners &= ~XG_OWNER_DIRECT;
	xg_prefix_merge(&v, src);
	if (v.owners)
		err = bpf_map_update_elem(l->prefixes, k, &v, BPF_ANY);
	else
		err = bpf_map_delete_elem(l->prefixes, k);
	err = err ? -errno : 0;
	if (!err)
		err = xg_meta_update(l->meta, XG_META_PREFIXES,
				     v.owners ? 0 : -1, NULL);
out:
	xg_lists_unlock(lock);
	return err;
}

int xg_prefix_match(int fd, const struct xg_addr *a, __u64 now,
		    struct xg_prefix_entry *out)
{
	struct xg_lpm_key k;
	__u32 len = 128;
	int i;

	memcpy(k.a, a->a, sizeof(k.a));
	/* As the datapath does it, step for step. */
	for (i = 0; i < XG_PREFIX_STEPS; i++) {
		k.prefixlen = len;
		if (bpf_map_lookup_elem(fd, &k, &out->v))
			return -ENOENT;
		if (!expired(out->v.ban.expires_ns, now)) {
			xg_prefix_mask(&k, out->v.prefixlen, &out->key);
			return 0;
		}
		if (!out->v.prefixlen || out->v.prefixlen > len)
			break;
		len = out->v.prefixlen - 1;
	}
	return -ENOENT;
}

/*
 * Applies the owners that are gone to one entry: rewrites it, or deletes it
 * when nobody owns it any more. Returns 1 if the entry was deleted.
 */
static int sweep_entry(const struct xg_lists *l, const struct xg_lpm_key *k,
		       struct xg_prefix_ban *v,
		       const struct xg_source src[XG_SOURCES_MAX], __u64 now,
		       xg_prefix_unban_fn fn, void *ctx)
{
	struct xg_prefix_ban old = *v;

	if (!xg_prefix_expire(v, src, now))
		return 0;
	if (old.owners & XG_OWNER_DIRECT && !(v->owners & XG_OWNER_DIRECT) &&
	    fn)
		fn(k, &old, NULL, ctx);
	if (!v->owners)
		return bpf_map_delete_elem(l->prefixes, k) ? 0 : 1;
	bpf_map_update_elem(l->prefixes, k, v, BPF_ANY);
	return 0;
}

static int full_pass(const struct xg_lists *l, struct xg_sweeper *s,
		     struct xg_source src[XG_SOURCES_MAX], __u64 now,
		     xg_prefix_unban_fn fn, void *ctx)
{
	struct xg_prefix_entry *e;
	size_t n, i;
	int err, lifted = 0;
	__u32 slot;

	err = xg_prefix_dump(l->prefixes, &e, &n);
	if (err)
		return err;
	s->ndue = 0;
	for (i = 0; i < n; i++) {
		int gone =
			sweep_entry(l, &e[i].key, &e[i].v, src, now, fn, ctx);

		if (gone) {
			lifted++;
			continue;
		}
		if (e[i].v.owners & XG_OWNER_DIRECT)
			due_add(s, &e[i].key, e[i].v.direct_expires_ns);
	}
	s->entries = n - lifted;
	free(e);
	/* Exact again, whatever a writer that died half way left. */
	xg_meta_update(l->meta, XG_META_SET_ENTRIES, s->entries, NULL);

	/* Expired lists: their prefixes are gone above, now their slots. */
	s->src_due = 0;
	for (slot = 1; slot < XG_SOURCES_MAX; slot++) {
		if (!src[slot].name[0])
			continue;
		if (expired(src[slot].expires_ns, now)) {
			struct xg_source free_slot = {};

			if (fn)
				fn(NULL, NULL, src[slot].name, ctx);
			bpf_map_update_elem(l->sources, &slot, &free_slot,
					    BPF_ANY);
		} else if (src[slot].expires_ns &&
			   (!s->src_due || src[slot].expires_ns < s->src_due)) {
			s->src_due = src[slot].expires_ns;
		}
	}
	return lifted;
}

int xg_prefix_sweep(const struct xg_lists *l, struct xg_sweeper *s, __u64 now,
		    xg_prefix_unban_fn fn, void *ctx)
{
	struct xg_source src[XG_SOURCES_MAX];
	struct xg_meta m;
	bool full, due = false;
	int lock, err, lifted = 0;
	size_t i, j;

	err = xg_meta_read(l->meta, &m);
	if (err)
		return err;
	full = !s->scanned || m.prefix_changes != s->seen ||
	       (s->src_due && s->src_due <= now);
	for (i = 0; !full && !due && i < s->ndue; i++)
		due = s->due[i].expires_ns <= now;
	if (!full && !due)
		return 0;
	/* An import holds the lock: sweep next time rather than wait. */
	lock = xg_lists_lock(false);
	if (lock == -EWOULDBLOCK)
		return 0;
	if (lock < 0)
		return lock;
	err = xg_meta_read(l->meta, &m) ?: xg_sources_read(l->sources, src);
	if (err)
		goto out;
	if (full) {
		lifted = full_pass(l, s, src, now, fn, ctx);
		if (lifted < 0) {
			err = lifted;
			goto out;
		}
		s->scanned = true;
	} else {
		for (i = j = 0; i < s->ndue; i++) {
			struct xg_prefix_ban v;
			struct xg_sweep_item *d = &s->due[i];

			if (d->expires_ns > now) {
				s->due[j++] = *d;
				continue;
			}
			/* Changed meanwhile (re-banned): look at it as it is. */
			if (bpf_map_lookup_elem(l->prefixes, &d->key, &v))
				continue;
			lifted +=
				sweep_entry(l, &d->key, &v, src, now, fn, ctx);
			if (v.owners & XG_OWNER_DIRECT && v.direct_expires_ns &&
			    v.direct_expires_ns > now)
				s->due[j++] = (struct xg_sweep_item){
					d->key, v.direct_expires_ns
				};
		}
		s->ndue = j;
		s->entries =
			(size_t)lifted < s->entries ? s->entries - lifted : 0;
	}
	if (lifted && !full)
		err = xg_meta_update(l->meta, XG_META_PREFIXES, -lifted, NULL);
	else if (lifted)
		err = xg_meta_update(l->meta, XG_META_PREFIXES, 0, NULL);
	/* Our own writes moved the counter: they need no pass of their own. */
	if (!xg_meta_read(l->meta, &m))
		s->seen = m.prefix_changes;
out:
	xg_lists_unlock(lock);
	return err ? err : lifted;
}

void xg_sweeper_free(struct xg_sweeper *s)
{
	free(s->due);
	memset(s, 0, sizeof(*s));
}

const char *xg_owner_names(const struct xg_prefix_ban *v,
			   const struct xg_source src[XG_SOURCES_MAX],
			   char *buf, size_t len)
{
	size_t off = 0;
	int s, n;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (s = 0; s < XG_SOURCES_MAX; s++) {
		const char *name;

		if (!(v->owners & (1u << s)))
			continue;
		name = s == 0	      ? "own ban" :
		       src[s].name[0] ? src[s].name :
					"(removed list)";
		n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
			     name);
		/* Whole names only: a cut one would name another list. */
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';
			break;
		}
		off += n;
	}
	return buf;
}
