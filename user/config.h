/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Settings of `xdpguard run`: one table describes each setting once, and
 * both the INI config file and the command-line flags are read through it.
 */
#ifndef XG_CONFIG_H
#define XG_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include "detect.h"
#include "guard.h"
#include "loader.h"
#include "obs.h"

struct xg_run_cfg {
	struct xg_detect_cfg det;
	struct xg_load_opts load;
	struct xg_obs_cfg obs;
	struct xg_guard_cfg guard;
	__u32 poll_ms;
	__u32 conn_poll_ms; /* sock_diag scan period; 0 = off */
	enum xg_mode mode;
	bool self_protect; /* allowlist own addresses, gateways, SSH peer */
	bool json;
	char ifaces[XG_MAX_IFACES][IF_NAMESIZE];
	int nifs;
};

void xg_cfg_defaults(struct xg_run_cfg *c);
/* Reads an INI file into c; reports the file, line and problem on error. */
int xg_cfg_load(struct xg_run_cfg *c, const char *path);
/*
 * Applies `--name value` for a setting named in the table (dashes for
 * underscores). Returns 1 if it was one, 0 if the name is not a setting,
 * or -EINVAL after reporting a bad value.
 */
int xg_cfg_flag(struct xg_run_cfg *c, const char *flag, const char *value);
/* Cross-field checks once everything is read (e.g. ttl <= ttl_max). */
int xg_cfg_check(const struct xg_run_cfg *c);
/* Lists the settings with their defaults (for --help and README). */
void xg_cfg_usage(FILE *f);

#endif /* XG_CONFIG_H */
