/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Extra destinations for the daemon's events, beside stdout: a JSON-lines
 * log file (reopened on SIGHUP, for logrotate) and syslog.
 */
#ifndef XG_EVLOG_H
#define XG_EVLOG_H

#include <stdbool.h>
#include <json-c/json.h>

/* Opens path for appending (created 0640). Reports and returns -errno. */
int xg_evlog_open(const char *path);
/*
 * Closes and opens the file again: after logrotate renamed it, events go to
 * a new file under the old name. On failure, keeps writing to the old one.
 */
int xg_evlog_reopen(void);
void xg_evlog_syslog(bool on);
void xg_evlog_close(void);
/*
 * One event: o (the JSON form, with "ts" and "event") to the log file, text
 * (without timestamp: syslog adds one) to syslog at priority prio.
 */
void xg_evlog_write(json_object *o, const char *text, int prio);
/* Failed writes so far (disk full...), for the metrics. */
unsigned long long xg_evlog_errors(void);

#endif /* XG_EVLOG_H */
