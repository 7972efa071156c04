/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The verdict generation (XG_MAP_GEN): every write to allow, bans or
 * ban_prefixes is followed by xg_verdicts_changed(), which makes the XDP
 * program's cached verdicts stale on every CPU.
 */
#ifndef XG_VGEN_H
#define XG_VGEN_H

/*
 * Use this map (a loader's or a test's own) rather than the pinned one;
 * takes a reference of its own. Returns 0 or -errno.
 */
int xg_vgen_use(int map_fd);
/*
 * Bumps the generation, atomically against other processes and the XDP
 * program. Opens the pinned map on first use; with no program loaded there
 * is no cache to invalidate and it does nothing. A failure is reported once.
 */
void xg_verdicts_changed(void);

#endif /* XG_VGEN_H */
