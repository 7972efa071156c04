/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Event lines on stdout: text for people, one JSON object a line for tools. */
#ifndef XG_OUTPUT_H
#define XG_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include "detect.h"

/* Every JSON xdpguard prints: one line, "/" not escaped. */
#define XG_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void xg_output_init(FILE *f, bool json);
/* An event from the detector or the ban sweeper. */
void xg_output_event(const struct xg_event *ev);
/*
 * A daemon event of its own ("start", "stop", "error", ...) with a message.
 * In JSON the message is "msg"; extra may add fields (consumed, may be NULL).
 */
void xg_output_note(const char *event, json_object *extra, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* RFC 3339 UTC time with milliseconds for a CLOCK_REALTIME instant. */
const char *xg_ts_str(__u64 real_ns, char *buf, size_t len);

/* Prints a JSON value on one line (for --json verbs) and frees it. */
void xg_print_json(json_object *o);

#endif /* XG_OUTPUT_H */
