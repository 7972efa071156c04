// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The event log file (user/evlog.c, through user/output.c) and the state
 * files in /run (user/runstate.c): JSON lines, reopened after a rename as
 * logrotate does it; atomic state files that a reader ignores once their
 * daemon is gone.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "evlog.h"
#include "output.h"
#include "runstate.h"

/* Reads a whole file of JSON lines; returns the number of lines. */
static int lines(const char *path, json_object **out, int max)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(buf, sizeof(buf), f)) {
		assert_non_null(strchr(buf, '\n'));
		out[n] = json_tokener_parse(buf);
		if (!out[n])
			fail_msg("not JSON: %s", buf);
		n++;
	}
	fclose(f);
	return n;
}

static void test_log_file(void **state)
{
	char dir[] = "/tmp/xg-unit-log-XXXXXX", path[64], rotated[64];
	struct xg_event ev = { .type = XG_EV_BAN,
			       .kind = XG_KIND_PORT_SCAN,
			       .has_src = true,
			       .value = 30,
			       .threshold = 24,
			       .ttl_ns = 600 * NSEC_PER_SEC,
			       .repeat = 1,
			       .proto = "tcp" };
	json_object *l[8];
	FILE *devnull = fopen("/dev/null", "w");
	int i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/events.log.1", dir);
	ev.src.a[15] = 7;
	/* Text on stdout: the log file still gets JSON. */
	xg_output_init(devnull, false);
	assert_int_equal(xg_evlog_open(path), 0);
	xg_output_note("start", NULL, "hello %d", 1);
	xg_output_event(&ev);
	assert_int_equal(lines(path, l, 8), 2);
	assert_string_equal(
		json_object_get_string(json_object_object_get(l[0], "event")),
		"start");
	assert_string_equal(
		json_object_get_string(json_object_object_get(l[0], "msg")),
		"hello 1");
	assert_string_equal(
		json_object_get_string(json_object_object_get(l[1], "event")),
		"ban");
	assert_string_equal(
		json_object_get_string(json_object_object_get(l[1], "src")),
		"::7");
	assert_int_equal(
		json_object_get_int(json_object_object_get(l[1], "ttl_s")),
		600);
	for (i = 0; i < 2; i++)
		json_object_put(l[i]);

	/* logrotate: rename, then SIGHUP; new lines go to a new file. */
	assert_int_equal(rename(path, rotated), 0);
	assert_int_equal(xg_evlog_reopen(), 0);
	xg_output_note("reopen", NULL, "after rotation");
	assert_int_equal(lines(rotated, l, 8), 2);
	for (i = 0; i < 2; i++)
		json_object_put(l[i]);
	assert_int_equal(lines(path, l, 8), 1);
	assert_string_equal(
		json_object_get_string(json_object_object_get(l[0], "event")),
		"reopen");
	json_object_put(l[0]);
	assert_int_equal(xg_evlog_errors(), 0);

	/* A directory that vanished: reopen fails, the old file stays. */
	unlink(path);
	unlink(rotated);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(xg_evlog_reopen(), -ENOENT);
	xg_evlog_close();
	assert_int_equal(xg_evlog_open("/nonexistent/x.log"), -ENOENT);
	xg_output_init(stdout, false);
	fclose(devnull);
}

static void test_runstate(void **state)
{
	char pin[64], path[128];
	json_object *o, *r;
	FILE *f;

	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xg-unit-%d", getpid());
	xg_set_pin_dir(pin);
	assert_int_equal(xg_run_path(path, sizeof(path), "alarms.json"), 0);
	snprintf(pin, sizeof(pin), "/run/xdpguard-xg-unit-%d.alarms.json",
		 getpid());
	assert_string_equal(path, pin);
	xg_set_pin_dir(XG_PIN_DIR_DEFAULT);
	assert_int_equal(xg_run_path(path, sizeof(path), "x"), 0);
	assert_string_equal(path, "/run/xdpguard.x");
	assert_int_equal(xg_run_path(path, 10, "x"), -ENAMETOOLONG);

	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xg-unit-%d", getpid());
	xg_set_pin_dir(pin);
	assert_int_equal(xg_runstate_read("t.json", &r), -ENOENT);
	o = json_object_new_object();
	json_object_object_add(o, "n", json_object_new_int(5));
	if (xg_runstate_write("t.json", o)) {
		json_object_put(o);
		skip(); /* no writable /run here */
		return;
	}
	json_object_put(o);
	assert_int_equal(xg_runstate_read("t.json", &r), 0);
	assert_int_equal(json_object_get_int(json_object_object_get(r, "n")),
			 5);
	assert_int_equal(json_object_get_int(json_object_object_get(r, "pid")),
			 getpid());
	json_object_put(r);
	/* Written by a process that is gone: as good as absent. */
	xg_run_path(path, sizeof(path), "t.json");
	f = fopen(path, "w");
	fprintf(f, "{\"pid\": 2147483000, \"n\": 1}\n");
	fclose(f);
	assert_int_equal(xg_runstate_read("t.json", &r), -ENOENT);
	f = fopen(path, "w");
	fprintf(f, "{\"pid\": %d, \"n\": [1,\n", getpid());
	fclose(f);
	assert_int_equal(xg_runstate_read("t.json", &r), -EINVAL);
	xg_runstate_remove("t.json");
	assert_int_equal(access(path, F_OK), -1);
	xg_set_pin_dir(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_file),
		cmocka_unit_test(test_runstate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
