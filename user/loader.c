// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading and attaching. The program is attached through a bpf_link pinned
 * under the pin directory: closing or unpinning our own link can only ever
 * remove our program (never somebody else's, as detaching by flags could),
 * and a pinned link keeps the program attached when the daemon crashes, so
 * bans stay enforced and the next daemon takes the link over.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "common.h"
#include "loader.h"
#include "prefixes.h"
#include "privs.h"
#include "vgen.h"
#include "xdpguard.skel.h"

static const char *const mode_names[] = {
	[XG_MODE_AUTO] = "auto",
	[XG_MODE_NATIVE] = "native",
	[XG_MODE_GENERIC] = "generic",
};

int xg_mode_parse(const char *s, enum xg_mode *mode)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *xg_mode_name(enum xg_mode mode)
{
	return mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

static int pin_map(struct bpf_map *map)
{
	char path[256];
	int err;

	err = xg_pin_path(path, sizeof(path), bpf_map__name(map));
	if (!err)
		err = bpf_map__set_pin_path(map, path);
	return err;
}

/*
 * The source table's hash seed: the one its pinned meta recorded, so a
 * table kept across a restart is still found where it was; otherwise new.
 */
static __u64 src_seed(void)
{
	struct xg_meta m = {};
	char path[256];
	__u64 seed = 0;
	int fd;

	if (!xg_pin_path(path, sizeof(path), XG_MAP_META)) {
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (!xg_meta_read(fd, &m))
				seed = m.src_seed;
			close(fd);
		}
	}
	while (!seed)
		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			seed = (__u64)xg_mono_ns() * 0x9E3779B97F4A7C15ULL;
	return seed;
}

/*
 * Records the seed the program was loaded with. Under the lists lock, as
 * every writer of meta: a CLI import raising prefix_entries meanwhile must
 * not be undone by this read-modify-write.
 */
static int meta_record(struct xdpguard_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.meta), lock, err;
	struct xg_meta m;
	__u32 zero = 0;

	lock = xg_lists_lock(true);
	if (lock < 0)
		return lock;
	err = xg_meta_read(fd, &m);
	if (!err) {
		m.src_seed = skel->rodata->src_seed;
		m.port_win_shift = skel->rodata->port_win_shift;
		if (bpf_map_update_elem(fd, &zero, &m, BPF_ANY))
			err = -errno;
	}
	xg_lists_unlock(lock);
	return err;
}

int xg_load(struct xg_loader *l, const struct xg_load_opts *o)
{
	struct xdpguard_bpf *skel;
	struct bpf_map *map;
	char path[256];
	int err;

	memset(l, 0, sizeof(*l));
	err = xg_ensure_bpffs();
	if (err)
		return err;
	err = xg_pin_path(path, sizeof(path), XG_MAP_BANS);
	if (err)
		return err;
	l->fresh = access(path, F_OK) != 0;
	if (mkdir(xg_pin_dir(), 0700) && errno != EEXIST) {
		err = -errno;
		xg_err("cannot create pin directory %s: %s", xg_pin_dir(),
		       strerror(errno));
		return err;
	}
	skel = xdpguard_bpf__open();
	if (!skel) {
		err = -errno;
		xg_err("cannot open the BPF object: %s", strerror(errno));
		return err;
	}
	skel->rodata->port_win_shift = o->port_win_shift;
	skel->rodata->sample_rate = o->sample_rate;
	skel->rodata->scan_trip_bits = o->scan_trip_bits;
	skel->rodata->scan_ban_ttl_ns = o->scan_ban_ttl_ns;
	/*
	 * A sixteenth of the table per CPU per second for sources that have
	 * not proven themselves (bpf/admit.h): a real client population fills
	 * the table over many seconds, a spoofed flood in milliseconds.
	 */
	skel->rodata->admit_budget =
		o->src_max / 16 > 64 ? o->src_max / 16 : 64;
	bpf_map__set_max_entries(skel->maps.bans, o->bans_max);
	bpf_map__set_max_entries(skel->maps.allow, o->allow_max);
	bpf_map__set_max_entries(skel->maps.src_stats,
				 xg_src_nbuckets(o->src_max));
	skel->rodata->src_mask = xg_src_nbuckets(o->src_max) - 1;
	skel->rodata->src_seed = src_seed();
	bpf_map__set_max_entries(skel->maps.dst_stats, o->dst_max);
	bpf_map__set_max_entries(skel->maps.ban_prefixes, o->prefixes_max);
	bpf_object__for_each_map(map, skel->obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		err = pin_map(map);
		if (err)
			goto fail;
	}
	l->reused = !access(bpf_map__pin_path(skel->maps.bans), F_OK);
	/* Pinned maps of another size or layout: moved, not lost. */
	err = xg_migrate_prepare(skel->obj, &l->mig);
	if (err)
		goto fail;
	err = xdpguard_bpf__load(skel);
	if (err) {
		char why[200], miss[64];

		if (err == -EINVAL)
			xg_err("cannot load the BPF program: maps pinned under %s do not match this version or these sizes (see 'xdpguard detach'; run with -v for details)",
			       xg_pin_dir());
		else if ((err == -EPERM || err == -EACCES) &&
			 *xg_caps_missing(XG_NEED_RUN, miss, sizeof(miss)))
			xg_err("cannot load the BPF program: %s",
			       xg_perm_explain(err, XG_NEED_RUN, why,
					       sizeof(why)));
		else
			xg_err("cannot load the BPF program: %s (run with -v for the verifier log)",
			       strerror(-err));
		goto fail;
	}
	/* Our own writes bump the map this program reads, pinned or not. */
	err = xg_vgen_use(bpf_map__fd(skel->maps.verdict_gen));
	if (err) {
		xg_err("cannot map %s: %s", XG_MAP_GEN, strerror(-err));
		goto fail;
	}
	err = xg_migrate_copy(&l->mig);
	if (!err && (err = meta_record(skel)))
		xg_err("cannot record the source table's seed and port window in %s: %s",
		       XG_MAP_META, strerror(-err));
	if (err)
		goto fail;
	l->skel = skel;
	return 0;
fail:
	xg_migrate_finish(&l->mig);
	xdpguard_bpf__destroy(skel);
	/* libbpf unpins the maps it pinned; the directory is ours to undo. */
	if (l->fresh)
		rmdir(xg_pin_dir());
	return err;
}

void xg_load_done(struct xg_loader *l)
{
	xg_migrate_finish(&l->mig);
}

static int link_pin_path(char *buf, size_t len, const char *ifname)
{
	char name[64];

	snprintf(name, sizeof(name), XG_LINK_PREFIX "%s", ifname);
	return xg_pin_path(buf, len, name);
}

static int create_link(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

/* Another program (not ours) on the interface: name it in the error. */
static void explain_busy(const char *ifname, int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (!bpf_xdp_query(ifindex, 0, &q) && q.prog_id)
		xg_err("%s already has an XDP program attached (id %u) that is not xdpguard's; remove it first (ip link set dev %s xdp off)",
		       ifname, q.prog_id, ifname);
	else
		xg_err("cannot attach to %s: it is busy", ifname);
}

int xg_attach(struct xg_loader *l, const char *ifname, enum xg_mode mode)
{
	int prog_fd = bpf_program__fd(l->skel->progs.xdpguard_prog);
	struct xg_iface *iface;
	char pin[256], why[200];
	int fd, err;

	if (l->nifs >= XG_MAX_IFACES) {
		xg_err("too many interfaces (at most %d)", XG_MAX_IFACES);
		return -E2BIG;
	}
	iface = &l->ifs[l->nifs];
	memset(iface, 0, sizeof(*iface));
	if (strlen(ifname) >= IF_NAMESIZE ||
	    !(iface->ifindex = if_nametoindex(ifname))) {
		xg_err("no such interface: '%s'", ifname);
		return -ENODEV;
	}
	snprintf(iface->name, sizeof(iface->name), "%s", ifname);
	err = link_pin_path(pin, sizeof(pin), ifname);
	if (err)
		return err;

	/* A link left pinned by a daemon that died: swap the program in. */
	fd = bpf_obj_get(pin);
	if (fd >= 0) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.xdp.ifindex == (__u32)iface->ifindex &&
		    !bpf_link_update(fd, prog_fd, NULL)) {
			LIBBPF_OPTS(bpf_xdp_query_opts, q);

			iface->link_fd = fd;
			iface->mode = XG_MODE_NATIVE;
			if (!bpf_xdp_query(iface->ifindex, 0, &q) &&
			    q.attach_mode == XDP_ATTACHED_SKB)
				iface->mode = XG_MODE_GENERIC;
			iface->took_over = true;
			xg_info("%s: took over the pinned link", ifname);
			l->nifs++;
			return 0;
		}
		/* Stale pin (interface gone or recreated): replace it. */
		close(fd);
		unlink(pin);
	}

	if (mode == XG_MODE_GENERIC) {
		fd = create_link(prog_fd, iface->ifindex, XDP_FLAGS_SKB_MODE);
		iface->mode = XG_MODE_GENERIC;
	} else {
		fd = create_link(prog_fd, iface->ifindex, XDP_FLAGS_DRV_MODE);
		iface->mode = XG_MODE_NATIVE;
		if (fd < 0 && mode == XG_MODE_AUTO && fd != -EBUSY &&
		    fd != -EEXIST && fd != -EPERM) {
			xg_warn("%s: native XDP unavailable (%s), using generic mode (slower)",
				ifname, strerror(-fd));
			fd = create_link(prog_fd, iface->ifindex,
					 XDP_FLAGS_SKB_MODE);
			iface->mode = XG_MODE_GENERIC;
		}
	}
	if (fd < 0) {
		if (fd == -EBUSY || fd == -EEXIST)
			explain_busy(ifname, iface->ifindex);
		else if (fd == -EPERM || fd == -EACCES)
			xg_err("cannot attach to %s: %s", ifname,
			       xg_perm_explain(fd, XG_NEED_NET_ADMIN, why,
					       sizeof(why)));
		else
			xg_err("cannot attach to %s in %s mode: %s", ifname,
			       xg_mode_name(iface->mode), xg_bpf_strerror(fd));
		return fd;
	}
	if (bpf_obj_pin(fd, pin)) {
		err = -errno;
		xg_err("cannot pin link at %s: %s", pin, strerror(errno));
		close(fd);
		return err;
	}
	iface->link_fd = fd;
	l->nifs++;
	return 0;
}

void xg_detach_all(struct xg_loader *l)
{
	char pin[256];
	int i;

	for (i = 0; i < l->nifs; i++) {
		if (!link_pin_path(pin, sizeof(pin), l->ifs[i].name))
			unlink(pin);
		/* Our last reference: the kernel detaches the program. */
		close(l->ifs[i].link_fd);
	}
	l->nifs = 0;
}

void xg_release_all(struct xg_loader *l)
{
	int i;

	/* The pins keep the links, and so the program, in place. */
	for (i = 0; i < l->nifs; i++)
		close(l->ifs[i].link_fd);
	l->nifs = 0;
}

bool xg_any_attached(struct xg_loader *l)
{
	int i;

	for (i = 0; i < l->nifs; i++) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(l->ifs[i].link_fd, &info, &len) &&
		    info.xdp.ifindex)
			return true;
	}
	return false;
}

void xg_unload(struct xg_loader *l)
{
	xg_detach_all(l);
	xdpguard_bpf__destroy(l->skel);
	l->skel = NULL;
}

static bool any_link_pinned(void)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(xg_pin_dir());

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, XG_LINK_PREFIX,
			     strlen(XG_LINK_PREFIX)))
			found = true;
	closedir(d);
	return found;
}

int xg_unpin_if_unused(void)
{
	static const char *const maps[] = {
		XG_MAP_BANS,	      XG_MAP_ALLOW,	   XG_MAP_SRC,
		XG_MAP_DST,	      XG_MAP_GLOBAL,	   XG_MAP_PREFIXES,
		XG_MAP_SOURCES,	      XG_MAP_META,	   XG_MAP_SAMPLES,
		XG_MAP_SAMPLE_BUDGET, XG_MAP_GEN,	   XG_MAP_VCACHE,
		XG_MAP_ADMIT_STATE,   XG_MAP_ADMIT_SKETCH,
	};
	char path[256];
	size_t i;

	if (any_link_pinned())
		return 0;
	for (i = 0; i < ARRAY_SIZE(maps); i++)
		if (!xg_pin_path(path, sizeof(path), maps[i]))
			unlink(path);
	if (rmdir(xg_pin_dir()) && errno != ENOENT) {
		int err = -errno;

		xg_warn("left %s in place: %s", xg_pin_dir(), strerror(errno));
		return err;
	}
	return 1;
}

int xg_detach_pinned(const char *ifname)
{
	char pin[256];
	int fd, err;

	if (strlen(ifname) >= IF_NAMESIZE) {
		xg_err("no such interface: '%s'", ifname);
		return -ENODEV;
	}
	err = link_pin_path(pin, sizeof(pin), ifname);
	if (err)
		return err;
	fd = bpf_obj_get(pin);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			xg_err("xdpguard is not attached to '%s' (no %s)",
			       ifname, pin);
		else if (err == -EACCES)
			xg_err("cannot open %s: permission denied (detach needs write access to the pins: run as root)",
			       pin);
		else
			xg_err("cannot open %s: %s", pin, xg_bpf_strerror(err));
		return err;
	}
	/* Detach even if a running daemon holds another reference. */
	if (bpf_link_detach(fd) && errno != EINVAL) {
		err = -errno;
		xg_err("cannot detach from %s: %s", ifname,
		       xg_bpf_strerror(err));
		close(fd);
		return err;
	}
	close(fd);
	unlink(pin);
	xg_unpin_if_unused();
	return 0;
}
