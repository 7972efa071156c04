/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * State the daemon publishes for the CLI: small JSON files beside its lock
 * file in /run (alarms.json, samples.json). Each is replaced atomically
 * (write a temporary, rename), so a reader never sees half a file, and
 * carries the daemon's pid, so a reader can tell a file left behind by a
 * daemon that died.
 */
#ifndef XG_RUNSTATE_H
#define XG_RUNSTATE_H

#include <stddef.h>
#include <json-c/json.h>

/*
 * "/run/xdpguard.NAME" for the default pin dir, else
 * "/run/xdpguard-<last component of the pin dir>.NAME", beside the lock.
 */
int xg_run_path(char *buf, size_t len, const char *name);

/* Writes o (plus "pid" and "ts") to the state file NAME; keeps o. */
int xg_runstate_write(const char *name, json_object *o);
/* Removes the state file NAME (daemon exit). */
void xg_runstate_remove(const char *name);
/*
 * Reads the state file NAME into *out (caller puts it). -ENOENT when there
 * is none or its daemon is gone, -EINVAL when it is not valid JSON.
 */
int xg_runstate_read(const char *name, json_object **out);

#endif /* XG_RUNSTATE_H */
