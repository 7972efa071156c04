// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ban and allow entries. A ban carries its own monotonic expiry, so the
 * kernel stops enforcing it on time even when nobody sweeps; sweeping only
 * frees the slot and reports the unban.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bans.h"
#include "common.h"
#include "maps.h"
#include "vgen.h"

static const char *const reason_names[XG_REASON__MAX] = {
	[XG_REASON_NONE] = "none",
	[XG_REASON_MANUAL] = "manual",
	[XG_REASON_PORT_SCAN] = "port_scan",
	[XG_REASON_SYN_FLOOD] = "syn_flood",
	[XG_REASON_ICMP_FLOOD] = "icmp_flood",
	[XG_REASON_CONN_FLOOD] = "conn_flood",
	[XG_REASON_BLOCKLIST] = "blocklist",
};

const char *xg_reason_name(__u32 reason)
{
	return reason < XG_REASON__MAX ? reason_names[reason] : "unknown";
}

int xg_reason_parse(const char *s, __u32 *reason)
{
	__u32 i;

	for (i = 0; i < XG_REASON__MAX; i++) {
		if (!strcmp(s, reason_names[i])) {
			*reason = i;
			return 0;
		}
	}
	return -EINVAL;
}

int xg_ban_add(int fd, const struct xg_addr *a, __u64 ttl_ns, __u32 reason,
	       __u32 repeat)
{
	__u64 now = xg_mono_ns();
	struct xg_ban b = {
		.expires_ns = ttl_ns ? now + ttl_ns : 0,
		.created_ns = now,
		.reason = reason,
		.repeat = repeat,
	};
	struct xg_ban old;

	/*
	 * Extending a live ban (the daemon confirming the XDP program's own
	 * port-scan ban, or a new TTL): it has been banned since then.
	 */
	if (!bpf_map_lookup_elem(fd, a, &old) && xg_ban_live(&old, now))
		b.created_ns = old.created_ns;
	if (bpf_map_update_elem(fd, a, &b, BPF_ANY))
		return -errno;
	xg_verdicts_changed();
	return 0;
}

int xg_ban_del(int fd, const struct xg_addr *a)
{
	if (bpf_map_delete_elem(fd, a))
		return -errno;
	xg_verdicts_changed();
	return 0;
}

bool xg_ban_live(const struct xg_ban *b, __u64 now)
{
	return !b->expires_ns || now < b->expires_ns;
}

long long xg_ban_expires_in(const struct xg_ban *b, __u64 now)
{
	if (!b->expires_ns)
		return -1;
	if (b->expires_ns <= now)
		return 0;
	return (b->expires_ns - now + NSEC_PER_SEC - 1) / NSEC_PER_SEC;
}

/* Walks a map with get_next_key: small tables, and LPM tries lack batch. */
static int list_map(int fd, size_t ksize, size_t esize, size_t voff, void **out,
		    size_t *n)
{
	__u8 key[32], next[32];
	size_t cnt = 0, cap = 0;
	char *res = NULL, *e;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (cnt == cap) {
			char *nr = realloc(res, (cap = cap * 2 + 64) * esize);

			if (!nr) {
				free(res);
				return -ENOMEM;
			}
			res = nr;
		}
		e = res + cnt * esize;
		memset(e, 0, esize);
		memcpy(e, next, ksize);
		memcpy(key, next, ksize);
		prev = key;
		/* Deleted between get_next_key and lookup: skip it. */
		if (bpf_map_lookup_elem(fd, next, e + voff))
			continue;
		cnt++;
	}
	if (errno != ENOENT) {
		int err = -errno;

		free(res);
		return err;
	}
	*out = res;
	*n = cnt;
	return 0;
}

/*
 * The bans hash, read with the batch API: the daemon's sweep lists it every
 * poll, and a walk of two syscalls per ban took 160 ms a poll over 65,536
 * bans (xg_bench sweep). A kernel without batch ops on hashes gets the walk.
 */
int xg_ban_list(int fd, struct xg_ban_entry **out, size_t *n)
{
	struct xg_addr *k;
	struct xg_ban *v;
	size_t cnt, i;
	int err;

	err = xg_map_dump(fd, sizeof(*k), sizeof(*v), (void **)&k, (void **)&v,
			  &cnt);
	/* 524: the kernel's own ENOTSUPP, which it may pass out as is. */
	if (err == -EINVAL || err == -524 || err == -EOPNOTSUPP)
		return list_map(fd, sizeof(struct xg_addr), sizeof(**out),
				offsetof(struct xg_ban_entry, ban),
				(void **)out, n);
	if (err)
		return err;
	*out = malloc((cnt ? cnt : 1) * sizeof(**out));
	if (*out)
		for (i = 0; i < cnt; i++) {
			(*out)[i].addr = k[i];
			(*out)[i].ban = v[i];
		}
	free(k);
	free(v);
	if (!*out)
		return -ENOMEM;
	*n = cnt;
	return 0;
}

int xg_ban_sweep(int fd, __u64 now, xg_unban_fn fn, xg_unban_fn unconfirmed,
		 void *ctx)
{
	struct xg_ban_entry *e;
	size_t n, i;
	int err, cnt = 0;

	err = xg_ban_list(fd, &e, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		struct xg_ban cur;

		if (xg_ban_live(&e[i].ban, now)) {
			/* Made by the XDP program (repeat 0), not confirmed. */
			if (unconfirmed && !e[i].ban.repeat)
				unconfirmed(&e[i], ctx);
			continue;
		}
		/*
		 * The list is a snapshot: the CLI or the detector may have
		 * renewed this ban since. Deleting by key alone would lose the
		 * new ban, and hash maps have no compare-and-delete; so look
		 * again, then take the entry out atomically and put it back if
		 * it turned out live (NOEXIST: a ban written meanwhile wins).
		 */
		if (bpf_map_lookup_elem(fd, &e[i].addr, &cur) ||
		    xg_ban_live(&cur, now))
			continue;
		if (bpf_map_lookup_and_delete_elem(fd, &e[i].addr, &cur))
			continue;
		if (xg_ban_live(&cur, now)) {
			bpf_map_update_elem(fd, &e[i].addr, &cur, BPF_NOEXIST);
			continue;
		}
		e[i].ban = cur;
		cnt++;
		if (fn)
			fn(&e[i], ctx);
	}
	free(e);
	/* Only expired bans went, but one may have been put back changed. */
	if (cnt)
		xg_verdicts_changed();
	return cnt;
}

int xg_allow_add(int fd, const struct xg_lpm_key *k)
{
	struct xg_allow v = { .created_ns = xg_mono_ns() };

	if (bpf_map_update_elem(fd, k, &v, BPF_ANY))
		return -errno;
	xg_verdicts_changed();
	return 0;
}

int xg_allow_del(int fd, const struct xg_lpm_key *k)
{
	if (bpf_map_delete_elem(fd, k))
		return -errno;
	xg_verdicts_changed();
	return 0;
}

int xg_allow_list(int fd, struct xg_allow_entry **out, size_t *n)
{
	return list_map(fd, sizeof(struct xg_lpm_key), sizeof(**out),
			offsetof(struct xg_allow_entry, allow), (void **)out,
			n);
}

bool xg_allow_match(int fd, const struct xg_addr *a)
{
	struct xg_lpm_key k = { .prefixlen = 128 };
	struct xg_allow v;

	memcpy(k.a, a->a, sizeof(k.a));
	return bpf_map_lookup_elem(fd, &k, &v) == 0;
}
