// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Corrupt and hostile config files: each is refused with one line naming the
 * file, the line and the problem, and leaves the settings untouched; good
 * files set what they say. Also the interface-name check and xg_shorten().
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "config.h"
#include "parse.h"

static char dir[] = "/tmp/xg-test-config.XXXXXX";

/* Writes len bytes to a file in the test's directory; returns its path. */
static const char *write_file(const char *name, const char *data, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* Runs xg_cfg_load with stderr captured into err (NUL-terminated). */
static int load(struct xg_run_cfg *c, const char *path, char *err, size_t n)
{
	char tmp[300];
	FILE *f;
	int saved, fd, rc;
	size_t got;

	snprintf(tmp, sizeof(tmp), "%s/stderr", dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	rc = xg_cfg_load(c, path);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fopen(tmp, "r");
	assert_non_null(f);
	got = fread(err, 1, n - 1, f);
	err[got] = '\0';
	fclose(f);
	return rc;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static const struct bad {
	const char *name;
	const char *data;
	size_t len; /* 0 = strlen(data) */
	const char *want; /* in the message, after "<path>:" */
} bad[] = {
	{ "out of range", "[detect]\nscan_ports = 1\n", 0,
	  ":2: invalid scan_ports '1': 1 is out of range 2-65536" },
	{ "no section", "scan_ports = 10\n", 0,
	  ":1: setting 'scan_ports' belongs in section [detect], not []" },
	{ "wrong section", "[run]\n\n; x\nsyn_rate = 5\n", 0,
	  ":4: setting 'syn_rate' belongs in section [detect], not [run]" },
	{ "unknown", "[detect]\nfoo = 3\n", 0,
	  ":2: unknown setting 'foo' in section [detect]" },
	{ "no value", "[detect]\nscan_ports\n", 0, ":2: syntax error" },
	{ "open section", "[detect\nscan_ports = 3\n", 0, ":1: syntax error" },
	{ "NUL byte", "[detect]\nscan_ports = 10\0garbage\n", 32,
	  ":2: control byte 0x00: not a text file" },
	{ "binary",
	  "\x7f"
	  "ELF\x02\x01\x01\0\0\0",
	  10, ":1: control byte 0x7f: not a text file" },
	{ "long line",
	  "[detect]\nscan_ports = "
	  "1000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000\n",
	  0, ":2: line longer than 198 characters" },
	{ "huge number", "[maps]\nbans_max = 99999999999999999999999\n", 0,
	  ":2: invalid bans_max '99999999999999999999999': out of range" },
	{ "negative", "[run]\npoll_ms = -200\n", 0,
	  ":2: invalid poll_ms '-200': not a plain decimal number" },
	{ "empty mode", "[run]\nmode =\n", 0,
	  ":2: invalid mode '': expected native, generic or auto" },
	{ "bad bool", "[run]\ndry_run = maybe\n", 0,
	  ":2: invalid dry_run 'maybe': expected true or false" },
	{ "zero window", "[detect]\nsyn_window = 0s\n", 0,
	  ":2: invalid syn_window '0s'" },
	{ "first error wins", "[detect]\nscan_ports = 10\nx = 1\n[y\n", 0,
	  ":3: unknown setting 'x'" },
	{ "syntax error first", "[y\n[detect]\nx = 1\n", 0,
	  ":1: syntax error" },
	{ "value echo is cut",
	  "[detect]\nsyn_ratio = "
	  "0.5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  0, "aaaa...': not a decimal" },
};

static void test_bad_files(void **state)
{
	struct xg_run_cfg c, before;
	char err[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		const char *path = write_file(
			"bad.ini", b->data, b->len ? b->len : strlen(b->data));

		xg_cfg_defaults(&c);
		before = c;
		if (load(&c, path, err, sizeof(err)) != -EINVAL)
			fail_msg("%s: accepted", b->name);
		if (!strstr(err, b->want))
			fail_msg("%s: message '%s' lacks '%s'", b->name, err,
				 b->want);
		if (strncmp(err, "xdpguard: ", 10) || lines(err) != 1)
			fail_msg("%s: not one 'xdpguard: ' line: '%s'", b->name,
				 err);
		if (memcmp(&c, &before, sizeof(c)))
			fail_msg("%s: settings changed", b->name);
	}
}

static void test_not_a_file(void **state)
{
	struct xg_run_cfg c, before;
	char err[512], path[300];

	xg_cfg_defaults(&c);
	before = c;
	assert_int_equal(load(&c, dir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not a regular file"));
	snprintf(path, sizeof(path), "%s/missing.ini", dir);
	assert_int_equal(load(&c, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(lines(err), 1);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_good_file(void **state)
{
	static const char ini[] = "\xef\xbb\xbf; xdpguard\r\n"
				  "[run]\r\npoll_ms = 100 ; faster\r\n"
				  "mode = generic\n\n"
				  "[detect]\nscan_ports=12\nsyn_ratio = 0.25\n"
				  "[ban]\nban_ttl = 1h30m\n";
	const char *path = write_file("good.ini", ini, sizeof(ini) - 1);
	struct xg_run_cfg c;
	char err[512];

	xg_cfg_defaults(&c);
	assert_int_equal(load(&c, path, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.poll_ms, 100);
	assert_int_equal(c.mode, XG_MODE_GENERIC);
	assert_int_equal(c.det.scan_ports, 12);
	assert_true(c.det.syn_ratio == 0.25);
	assert_true(c.det.ban_ttl_ns == 5400ULL * NSEC_PER_SEC);
}

static void test_ifname(void **state)
{
	static const char *const good[] = { "eth0", "veth-1.2", "a",
					    "fifteen_chars_x" };
	static const char *const badn[] = { "",	       ".",
					    "..",      "a/b",
					    "../bans", "a b",
					    "eth0:1",  "sixteen_chars_xx",
					    "tab\tx" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (xg_parse_ifname(good[i]))
			fail_msg("'%s' refused: %s", good[i], xg_parse_error());
	for (i = 0; i < sizeof(badn) / sizeof(badn[0]); i++)
		if (!xg_parse_ifname(badn[i]))
			fail_msg("'%s' accepted", badn[i]);
}

static void test_shorten(void **state)
{
	char s[200];

	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	assert_int_equal(strlen(xg_shorten(s)), 67);
	assert_string_equal(xg_shorten(s) + 64, "...");
	assert_string_equal(xg_shorten("a\nb\x1b[31m\xff"), "a?b?[31m?");
	assert_string_equal(xg_shorten(""), "");
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_shorten),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
