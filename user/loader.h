/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loads the XDP program, pins its maps, attaches it through bpf_links. */
#ifndef XG_LOADER_H
#define XG_LOADER_H

#include <stdbool.h>
#include <net/if.h>
#include "migrate.h"
#include "xdpguard.h"

#define XG_MAX_IFACES 16

enum xg_mode { XG_MODE_AUTO, XG_MODE_NATIVE, XG_MODE_GENERIC };

struct xg_load_opts {
	__u32 bans_max;
	__u32 allow_max;
	__u32 src_max;
	__u32 dst_max;
	__u32 prefixes_max;
	__u32 port_win_shift;
	__u32 sample_rate; /* drop samples per CPU per second; 0 = off */
	/* Port-scan fast path (see bpf/): sketch bits that ban; 0 = off. */
	__u32 scan_trip_bits;
	__u64 scan_ban_ttl_ns;
};

struct xg_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	int link_fd;
	enum xg_mode mode; /* the mode actually used */
	bool took_over; /* swapped into a pinned link: no gap */
};

struct xdpguard_bpf;

struct xg_loader {
	struct xdpguard_bpf *skel;
	struct xg_iface ifs[XG_MAX_IFACES];
	int nifs;
	bool reused; /* the bans were pinned already (a restart, an upgrade) */
	struct xg_migrate mig; /* maps moved to a new definition by this load */
	/* This load created the pins: a failed run removes them again. */
	bool fresh;
};

int xg_mode_parse(const char *s, enum xg_mode *mode);
const char *xg_mode_name(enum xg_mode mode);

/* Opens, sizes, loads, and pins (or reuses pinned) maps. */
int xg_load(struct xg_loader *l, const struct xg_load_opts *o);
/*
 * Attaches to an interface and pins the link. If a pinned xdpguard link for
 * it exists (a daemon that died), the program is swapped in atomically.
 */
int xg_attach(struct xg_loader *l, const char *ifname, enum xg_mode mode);
/*
 * After the last attach: the new program runs, so migrated maps catch up on
 * what reached their old copies meanwhile, and the old copies go.
 */
void xg_load_done(struct xg_loader *l);
/* Detaches every interface of this loader and unpins its links. */
void xg_detach_all(struct xg_loader *l);
/*
 * Lets go of the links but leaves them pinned: the program stays attached
 * and enforcing until the next run takes the links over (keep_attached).
 */
void xg_release_all(struct xg_loader *l);
/* True if at least one of our links is still attached to its device. */
bool xg_any_attached(struct xg_loader *l);
void xg_unload(struct xg_loader *l);

/* Detaches the pinned link of ifname (CLI); removes the pins when unused. */
int xg_detach_pinned(const char *ifname);
/* Removes map pins and the pin directory when no link is pinned. */
int xg_unpin_if_unused(void);

#endif /* XG_LOADER_H */
