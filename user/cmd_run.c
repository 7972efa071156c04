// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* run, status, detach: the life cycle of the attached program. */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "cli.h"
#include "common.h"
#include "config.h"
#include "daemon.h"
#include "loader.h"
#include "maps.h"
#include "srctab.h"
#include "output.h"
#include "parse.h"
#include "prefixes.h"
#include "privs.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: xdpguard run -i IFACE [-i IFACE ...] [--mode native|generic|auto]\n"
		"                    [--config FILE] [--json] [--dry-run] [--syslog]\n"
		"                    [--metrics [ADDR:]PORT] [--log-file PATH] [--pcap FILE]\n"
		"                    [--keep-attached] [--blocklist FILE ...] [--skip-bad]\n"
		"                    [--no-self-protect]\n"
		"                    [--SETTING VALUE ...]\n"
		"settings (also [section] name = value in the config file):\n");
	xg_cfg_usage(f);
}

int do_run(int argc, char **argv)
{
	struct xg_run_cfg cfg;
	const char *config = NULL;
	char miss[64];
	int i, j, err;

	xg_cfg_defaults(&cfg);
	/* The config file first, so that flags override it. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc)
				return xg_usage_error(
					"run", "option --config needs a file");
			config = argv[++i];
		}
	}
	if (config && xg_cfg_load(&cfg, config))
		return 2;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-i") || !strcmp(a, "--interface")) {
			if (!v)
				return xg_usage_error(
					"run", "option %s needs an interface",
					a);
			if (cfg.nifs >= XG_MAX_IFACES) {
				xg_err("too many interfaces (at most %d)",
				       XG_MAX_IFACES);
				return 2;
			}
			if (xg_parse_ifname(v)) {
				xg_err("invalid interface name '%s': %s",
				       xg_shorten(v), xg_parse_error());
				return 2;
			}
			if (!if_nametoindex(v)) {
				xg_err("no such interface: '%s'", v);
				return 2;
			}
			for (j = 0; j < cfg.nifs; j++) {
				if (!strcmp(cfg.ifaces[j], v)) {
					xg_err("interface '%s' is given twice",
					       v);
					return 2;
				}
			}
			snprintf(cfg.ifaces[cfg.nifs++], IF_NAMESIZE, "%s", v);
			i++;
		} else if (!strcmp(a, "--config")) {
			i++;
		} else if (!strcmp(a, "--json")) {
			cfg.json = true;
		} else if (!strcmp(a, "--dry-run")) {
			cfg.det.dry_run = true;
		} else if (!strcmp(a, "--syslog")) {
			cfg.obs.syslog = true;
		} else if (!strcmp(a, "--keep-attached")) {
			cfg.guard.keep_attached = true;
		} else if (!strcmp(a, "--skip-bad")) {
			cfg.guard.skip_bad = true;
		} else if (!strcmp(a, "--no-self-protect")) {
			cfg.self_protect = false;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			run_usage(stdout);
			return 0;
		} else {
			err = xg_cfg_flag(&cfg, a, v);
			if (err < 0)
				return 2;
			if (!err)
				return xg_usage_error("run",
						      "unknown option '%s'",
						      xg_shorten(a));
			i++;
		}
	}
	if (!cfg.nifs)
		return xg_usage_error("run", "missing -i IFACE");
	if (xg_cfg_check(&cfg))
		return 2;
	/*
	 * Loading, attaching and pinning need these whoever we are; saying
	 * which are missing beats the first EPERM of many along the way.
	 */
	if (*xg_caps_missing(XG_NEED_RUN, miss, sizeof(miss))) {
		xg_err("run: missing %s (run as root, or give the daemon CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)",
		       miss);
		return 1;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	err = xg_daemon_run(&cfg);
	return err ? 1 : 0;
}

int do_detach(int argc, char **argv)
{
	const char *ifname = NULL;
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
			continue;
		}
		if (strcmp(argv[i], "-i") && strcmp(argv[i], "--interface"))
			return xg_usage_error("detach",
					      "unexpected argument '%s'",
					      xg_shorten(argv[i]));
		if (i + 1 >= argc)
			return xg_usage_error("detach",
					      "option %s needs an interface",
					      argv[i]);
		if (ifname)
			return xg_usage_error("detach",
					      "one interface at a time");
		ifname = argv[++i];
	}
	if (!ifname)
		return xg_usage_error("detach", "missing -i IFACE");
	/* The name becomes part of a pin path: no '/' or ".." into it. */
	if (xg_parse_ifname(ifname)) {
		xg_err("invalid interface name '%s': %s", xg_shorten(ifname),
		       xg_parse_error());
		return 2;
	}
	if (xg_detach_pinned(ifname))
		return 1;
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "action",
				       json_object_new_string("detach"));
		json_object_object_add(o, "iface",
				       json_object_new_string(ifname));
		xg_print_json(o);
		return 0;
	}
	printf("detached xdpguard from %s\n", ifname);
	return 0;
}

/* The daemon's pid if one holds the lock for this pin dir, else 0. */
static int daemon_pid(void)
{
	char path[300], pid[32] = "";
	const char *dir = xg_pin_dir(), *base = strrchr(dir, '/');
	bool def = !strcmp(dir, XG_PIN_DIR_DEFAULT);
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/run/xdpguard%s%s.pid", def ? "" : "-",
		 def ? "" : (base ? base + 1 : dir));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK &&
	    read(fd, pid, sizeof(pid) - 1) > 0)
		ret = atoi(pid);
	close(fd);
	return ret;
}

static json_object *iface_status(const char *pin, const char *ifname)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	json_object *o;
	int fd = bpf_obj_get(pin);
	const char *mode = "detached";

	/*
	 * Links open only read-write: a user with read access to the pins
	 * gets what netlink tells anyone instead, by interface name.
	 */
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		info.xdp.ifindex = if_nametoindex(ifname);
		if (!info.xdp.ifindex || bpf_xdp_query(info.xdp.ifindex, 0, &q))
			return NULL;
		info.prog_id = q.prog_id;
	} else if (fd < 0) {
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(ifname));
	if ((fd < 0 || !bpf_obj_get_info_by_fd(fd, &info, &len)) &&
	    info.xdp.ifindex) {
		if (!bpf_xdp_query(info.xdp.ifindex, 0, &q) &&
		    (fd >= 0 || q.prog_id))
			mode = q.attach_mode == XDP_ATTACHED_SKB ? "generic" :
			       q.attach_mode == XDP_ATTACHED_HW	 ? "offload" :
								   "native";
		json_object_object_add(o, "ifindex",
				       json_object_new_int(info.xdp.ifindex));
	}
	json_object_object_add(o, "mode", json_object_new_string(mode));
	json_object_object_add(o, "prog_id", json_object_new_int(info.prog_id));
	json_object_object_add(o, "link_id", json_object_new_int(info.id));
	if (fd >= 0)
		close(fd);
	return o;
}

/* The prefix trie's fill from meta: walking a million keys takes seconds. */
static void prefix_fill(const struct xg_maps *m, __u32 *n, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct xg_meta meta;

	*n = *max = 0;
	if (!xg_meta_read(m->meta, &meta))
		*n = meta.prefix_entries;
	if (!bpf_obj_get_info_by_fd(m->prefixes, &info, &len))
		*max = info.max_entries;
}

static json_object *lists_status(const struct xg_maps *m, json_object *maps)
{
	struct xg_source src[XG_SOURCES_MAX];
	json_object *arr = json_object_new_array();
	struct xg_meta meta = {};
	int s;

	xg_meta_read(m->meta, &meta);
	json_object_object_add(json_object_object_get(maps, "bans"), "refused",
			       json_object_new_int64(meta.full_bans));
	json_object_object_add(json_object_object_get(maps, "ban_prefixes"),
			       "refused",
			       json_object_new_int64(meta.full_prefixes));
	if (xg_sources_read(m->sources, src))
		return arr;
	for (s = 1; s < XG_SOURCES_MAX; s++) {
		json_object *x;

		if (!src[s].name[0])
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "name",
				       json_object_new_string(src[s].name));
		json_object_object_add(x, "prefixes",
				       json_object_new_int64(src[s].count));
		json_object_array_add(arr, x);
	}
	return arr;
}

/* The source table: its used slots, counted in place. */
static void src_fill(const struct xg_maps *m, __u32 *n, __u32 *max)
{
	struct xg_srctab t;

	if (!xg_srctab_map(&t, m->src, false)) {
		*n = xg_srctab_count(&t);
		*max = xg_srctab_slots(&t);
		xg_srctab_unmap(&t);
	}
}

/*
 * The maps status reports, in its order: a plain count of entries (fd at
 * off in struct xg_maps) unless the map needs a fill of its own.
 */
static const struct {
	const char *name;
	size_t off;
	void (*fill)(const struct xg_maps *m, __u32 *n, __u32 *max);
} status_maps[] = {
	{ "bans", offsetof(struct xg_maps, bans), NULL },
	{ "allow", offsetof(struct xg_maps, allow), NULL },
	{ "src_stats", 0, src_fill },
	{ "dst_stats", offsetof(struct xg_maps, dst), NULL },
	{ "ban_prefixes", 0, prefix_fill },
};

static json_object *maps_status(const struct xg_maps *m)
{
	json_object *maps = json_object_new_object();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(status_maps); i++) {
		__u32 n = 0, max = 0;
		json_object *x = json_object_new_object();

		if (status_maps[i].fill)
			status_maps[i].fill(m, &n, &max);
		else
			xg_map_fill(*(const int *)((const char *)m +
						   status_maps[i].off),
				    &n, &max);
		json_object_object_add(x, "entries", json_object_new_int64(n));
		json_object_object_add(x, "max_entries",
				       json_object_new_int64(max));
		json_object_object_add(
			x, "full", json_object_new_boolean(max && n >= max));
		json_object_object_add(maps, status_maps[i].name, x);
	}
	return maps;
}

int do_status(int argc, char **argv)
{
	json_object *o, *ifs, *maps, *lists;
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	struct xg_maps m;
	struct dirent *de;
	int i, pid;
	DIR *d;

	if (argc > 1 && !json)
		return xg_usage_error("status", "unexpected argument '%s'",
				      xg_shorten(argv[1]));
	if (xg_maps_open_ro(&m))
		return 1;
	o = json_object_new_object();
	pid = daemon_pid();
	json_object_object_add(o, "pin_dir",
			       json_object_new_string(xg_pin_dir()));
	json_object_object_add(o, "daemon_pid",
			       pid ? json_object_new_int(pid) : NULL);
	ifs = json_object_new_array();
	d = opendir(xg_pin_dir());
	while (d && (de = readdir(d))) {
		char pin[512];
		json_object *x;

		if (strncmp(de->d_name, XG_LINK_PREFIX, strlen(XG_LINK_PREFIX)))
			continue;
		snprintf(pin, sizeof(pin), "%s/%s", xg_pin_dir(), de->d_name);
		x = iface_status(pin, de->d_name + strlen(XG_LINK_PREFIX));
		if (x)
			json_object_array_add(ifs, x);
	}
	if (d)
		closedir(d);
	json_object_object_add(o, "interfaces", ifs);
	maps = maps_status(&m);
	if (m.admit >= 0) {
		struct xg_admit_totals at;
		json_object *x = json_object_new_object();

		if (!xg_read_admit(m.admit, &at)) {
			json_object_object_add(x, "over_budget",
					       json_object_new_int64(at.heavy));
			json_object_object_add(
				x, "refused_pkts",
				json_object_new_int64(at.refused));
			json_object_object_add(
				json_object_object_get(maps, "src_stats"),
				"admission", x);
		} else {
			json_object_put(x);
		}
	}
	json_object_object_add(o, "maps", maps);
	lists = lists_status(&m, maps);
	json_object_object_add(o, "blocklists", lists);
	xg_maps_close(&m);
	if (json) {
		xg_print_json(o);
		return 0;
	}
	printf("pin dir:   %s\n", xg_pin_dir());
	if (pid)
		printf("daemon:    running (pid %d)\n", pid);
	else
		printf("daemon:    not running (attached programs and bans stay enforced)\n");
	for (i = 0; i < (int)json_object_array_length(ifs); i++) {
		json_object *x = json_object_array_get_idx(ifs, i), *v;

		printf("interface: %-16s mode %-8s prog id %d",
		       json_object_get_string(
			       json_object_object_get(x, "name")),
		       json_object_get_string(
			       json_object_object_get(x, "mode")),
		       json_object_get_int(
			       json_object_object_get(x, "prog_id")));
		if (json_object_object_get_ex(x, "ifindex", &v))
			printf(" ifindex %d", json_object_get_int(v));
		printf("\n");
	}
	if (!json_object_array_length(ifs))
		printf("interface: none attached\n");
	for (i = 0; i < (int)ARRAY_SIZE(status_maps); i++) {
		const char *name = status_maps[i].name;
		json_object *x = json_object_object_get(maps, name), *r;
		__u64 n = json_object_get_int64(
			json_object_object_get(x, "entries"));
		__u64 max = json_object_get_int64(
			json_object_object_get(x, "max_entries"));

		printf("map:       %-12s %8llu / %-8llu (%.1f%%)%s", name,
		       (unsigned long long)n, (unsigned long long)max,
		       max ? 100.0 * n / max : 0,
		       max && n >= max ? " FULL" : "");
		if (json_object_object_get_ex(x, "refused", &r) &&
		    json_object_get_int64(r))
			printf(", %lld bans refused for want of room",
			       (long long)json_object_get_int64(r));
		if (json_object_object_get_ex(x, "admission", &r))
			printf("\n           admission: %lld packets of new sources kept out (a flood of new sources), %lld sources admitted over budget",
			       (long long)json_object_get_int64(
				       json_object_object_get(r,
							      "refused_pkts")),
			       (long long)json_object_get_int64(
				       json_object_object_get(r,
							      "over_budget")));
		printf("\n");
	}
	for (i = 0; i < (int)json_object_array_length(lists); i++) {
		json_object *x = json_object_array_get_idx(lists, i);

		printf("blocklist: %-24s %lld prefixes\n",
		       json_object_get_string(
			       json_object_object_get(x, "name")),
		       (long long)json_object_get_int64(
			       json_object_object_get(x, "prefixes")));
	}
	json_object_put(o);
	return 0;
}
