// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The config file (user/config.c over inih): the shipped example names
 * every setting and loads to exactly the defaults; values in a file take
 * effect; a bad file is refused whole. Run from the source tree's root
 * (as scripts/run-tests.sh does), where docs/ is.
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

#include "config.h"

#define EXAMPLE "docs/xdpguard.ini.example"
#define NS(s) ((__u64)(s)*1000000000ULL)

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
	return buf;
}

/* The settings xdpguard knows, in --help's words ("  --syn-rate ..."). */
static char *usage_text(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	xg_cfg_usage(f);
	fclose(f);
	return text;
}

static void same_cfg(const struct xg_run_cfg *a, const struct xg_run_cfg *b,
		     const char *what)
{
	if (memcmp(&a->det, &b->det, sizeof(a->det)))
		fail_msg("%s: detection settings differ", what);
	if (memcmp(&a->load, &b->load, sizeof(a->load)))
		fail_msg("%s: map settings differ", what);
	if (a->poll_ms != b->poll_ms || a->conn_poll_ms != b->conn_poll_ms ||
	    a->mode != b->mode)
		fail_msg("%s: run settings differ", what);
}

static void test_example_names_every_setting(void **state)
{
	char *text = usage_text(), *file = slurp(EXAMPLE), *line, *save;
	char name[64], want[80];
	int n = 0;
	size_t i;

	(void)state;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, " --%63s", name) != 1)
			continue;
		for (i = 0; name[i]; i++)
			if (name[i] == '-')
				name[i] = '_';
		/* Settings with no default value stand commented out. */
		snprintf(want, sizeof(want), "\n%s = ", name);
		if (!strstr(file, want)) {
			snprintf(want, sizeof(want), "\n# %s = ", name);
			if (!strstr(file, want))
				fail_msg("%s has no line '%s = ...'", EXAMPLE,
					 name);
		}
		n++;
	}
	assert_true(n >= 20);
	free(text);
	free(file);
}

static void test_example_is_the_defaults(void **state)
{
	struct xg_run_cfg def, c;

	(void)state;
	xg_cfg_defaults(&def);
	xg_cfg_defaults(&c);
	assert_int_equal(xg_cfg_load(&c, EXAMPLE), 0);
	same_cfg(&c, &def, EXAMPLE);
}

static const char *tmp_ini(const char *text)
{
	static char path[] = "/tmp/xg-test-cfg-XXXXXX";
	int fd;

	strcpy(path, "/tmp/xg-test-cfg-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_values_take_effect(void **state)
{
	const char *path = tmp_ini("[run]\nmode = generic\ndry_run = yes\n"
				   "poll_ms = 100\n"
				   "[detect]\n; a comment\nsyn_rate = 250\n"
				   "conn_window = 1m\nsyn_ratio = 0.25\n"
				   "[ban]\nban_ttl = 1h\nban_ttl_max = 1w\n"
				   "[maps]\nbans_max = 1024\n");
	struct xg_run_cfg c;

	(void)state;
	xg_cfg_defaults(&c);
	assert_int_equal(xg_cfg_load(&c, path), 0);
	unlink(path);
	assert_int_equal(c.mode, XG_MODE_GENERIC);
	assert_true(c.det.dry_run);
	assert_int_equal(c.poll_ms, 100);
	assert_int_equal(c.det.syn_rate, 250);
	assert_int_equal(c.det.conn_window_ns, NS(60));
	assert_true(c.det.syn_ratio == 0.25);
	assert_int_equal(c.det.ban_ttl_ns, NS(3600));
	assert_int_equal(c.det.ban_ttl_max_ns, NS(7 * 86400));
	assert_int_equal(c.load.bans_max, 1024);
	/* What the file leaves out keeps its default. */
	assert_int_equal(c.det.icmp_rate, 100);

	/* A flag overrides the file. */
	assert_int_equal(xg_cfg_flag(&c, "--syn-rate", "300"), 1);
	assert_int_equal(c.det.syn_rate, 300);
	assert_int_equal(xg_cfg_flag(&c, "--no-such-setting", "1"), 0);
}

/* Each bad file is refused whole: nothing of it is applied. */
static void test_bad_files(void **state)
{
	static const char *const bad[] = {
		"[detect]\nsyn_rate = 250\nscan_ports = 0\n", /* out of range */
		"[detect]\nsyn_rate = 250\nsyn_rate = many\n", /* not a number */
		"[detect]\nsyn_rate = 250\nsyn_rat = 3\n", /* unknown name */
		"[ban]\nsyn_rate = 250\n", /* wrong section */
		"[detect]\nsyn_window = 0s\n", /* zero window */
		"[run]\nmode = fast\n",
		"[run]\ndry_run = maybe\n",
		"[detect]\nsyn_rate 250\n", /* no '=' */
	};
	struct xg_run_cfg def, c;
	size_t i;

	(void)state;
	xg_cfg_defaults(&def);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path = tmp_ini(bad[i]);

		xg_cfg_defaults(&c);
		if (xg_cfg_load(&c, path) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		unlink(path);
		same_cfg(&c, &def, bad[i]);
	}
	xg_cfg_defaults(&c);
	assert_int_equal(xg_cfg_load(&c, "/nonexistent/xdpguard.ini"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_names_every_setting),
		cmocka_unit_test(test_example_is_the_defaults),
		cmocka_unit_test(test_values_take_effect),
		cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
