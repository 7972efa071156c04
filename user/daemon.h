/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `xdpguard run`: load, attach, watch the counters, ban, until a signal. */
#ifndef XG_DAEMON_H
#define XG_DAEMON_H

#include "config.h"

int xg_daemon_run(const struct xg_run_cfg *cfg);

#endif /* XG_DAEMON_H */
