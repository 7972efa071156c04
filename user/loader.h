/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loads the XDP program, pins its maps, attaches it through bpf_links. */
#ifndef XG_LOADER_H
#define XG_LOADER_H

#include <net/if.h>
#include "xdpguard.h"

#define XG_MAX_IFACES 16

enum xg_mode { XG_MODE_AUTO, XG_MODE_NATIVE, XG_MODE_GENERIC };

struct xg_load_opts {
	__u32 bans_max;
	__u32 allow_max;
	__u32 src_max;
	__u32 dst_max;
	__u32 port_win_shift;
};

struct xg_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	int link_fd;
	enum xg_mode mode; /* the mode actually used */
};

struct xdpguard_bpf;

struct xg_loader {
	struct xdpguard_bpf *skel;
	struct xg_iface ifs[XG_MAX_IFACES];
	int nifs;
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
/* Detaches every interface of this loader and unpins its links. */
void xg_detach_all(struct xg_loader *l);
/* True if at least one of our links is still attached to its device. */
bool xg_any_attached(struct xg_loader *l);
void xg_unload(struct xg_loader *l);

/* Detaches the pinned link of ifname (CLI); removes the pins when unused. */
int xg_detach_pinned(const char *ifname);
/* Removes map pins and the pin directory when no link is pinned. */
int xg_unpin_if_unused(void);

#endif /* XG_LOADER_H */
