// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The state file (user/state.c) against real (unpinned, private) maps:
 * a save and a restore give back every ban with its remaining time, reason
 * and repeat count, every own prefix ban and every blocklist; expired bans
 * are counted, not restored; each kind of corruption is refused whole and
 * set aside. Needs root for the maps (skipped otherwise). Also the value
 * conversion of map migration (user/migrate.c), which is pure.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

#include <cmocka.h>

#include "bans.h"
#include "common.h"
#include "import.h"
#include "migrate.h"
#include "parse.h"
#include "state.h"

#define S(n) ((__u64)(n)*NSEC_PER_SEC)

static struct xg_lists l;
static char dir[64], path[128], pin[64];

static int make_maps(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, lpm, .map_flags = BPF_F_NO_PREALLOC);

	l.bans = bpf_map_create(BPF_MAP_TYPE_HASH, "bans", 16,
				sizeof(struct xg_ban), 1024, NULL);
	l.prefixes = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "ban_prefixes",
				    sizeof(struct xg_lpm_key),
				    sizeof(struct xg_prefix_ban), 1024, &lpm);
	l.sources =
		bpf_map_create(BPF_MAP_TYPE_ARRAY, "sources", 4,
			       sizeof(struct xg_source), XG_SOURCES_MAX, NULL);
	l.meta = bpf_map_create(BPF_MAP_TYPE_ARRAY, "meta", 4,
				sizeof(struct xg_meta), 1, NULL);
	l.allow = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "allow",
				 sizeof(struct xg_lpm_key),
				 sizeof(struct xg_allow), 64, &lpm);
	return l.bans < 0 || l.prefixes < 0 || l.sources < 0 || l.meta < 0 ||
	       l.allow < 0;
}

static void close_maps(void)
{
	close(l.bans);
	close(l.prefixes);
	close(l.sources);
	close(l.meta);
	close(l.allow);
}

static int setup(void **state)
{
	if (geteuid())
		return 0;
	snprintf(dir, sizeof(dir), "/tmp/xg-state-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	/* A lists lock of our own. */
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xg-unit-state-%d", getpid());
	xg_set_pin_dir(pin);
	return make_maps();
}

static int teardown(void **state)
{
	char cmd[128];

	if (geteuid())
		return 0;
	close_maps();
	snprintf(cmd, sizeof(cmd), "rm -rf %s /run/xdpguard-%s.lists.lock", dir,
		 strrchr(pin, '/') + 1);
	if (system(cmd))
		return -1;
	return 0;
}

#define NEED_ROOT()             \
	do {                    \
		if (geteuid())  \
			skip(); \
	} while (0)

static struct xg_lpm_key key(const char *p)
{
	struct xg_lpm_key k;

	assert_int_equal(xg_parse_prefix(p, &k), 0);
	return k;
}

static struct xg_addr addr(const char *s)
{
	struct xg_addr a;

	assert_int_equal(xg_parse_addr(s, &a), 0);
	return a;
}

/* A state with one of each kind of ban. */
static void fill(void)
{
	struct xg_lpm_key list[] = { key("192.0.2.0/24"), key("2001:db8::/32"),
				     key("198.51.100.7") };
	struct xg_import_opts o = { .name = "drop.txt",
				    .note = "spamhaus",
				    .expires_ns = xg_mono_ns() + S(7200) };
	struct xg_lpm_key k = key("203.0.113.0/24");
	struct xg_addr a = addr("10.9.8.7"), b = addr("2001:db8:1::66");

	struct xg_lpm_key al = key("192.0.2.128/25");

	qsort(list, 3, sizeof(list[0]), xg_lpm_key_cmp);
	assert_int_equal(xg_allow_add(l.allow, &al), 0);
	assert_int_equal(
		xg_ban_add(l.bans, &a, S(3600), XG_REASON_PORT_SCAN, 3), 0);
	assert_int_equal(xg_ban_add(l.bans, &b, 0, XG_REASON_MANUAL, 1), 0);
	assert_int_equal(
		xg_prefix_ban(&l, &k, S(1800), XG_REASON_SYN_FLOOD, 2, NULL),
		0);
	assert_int_equal(xg_import_apply(&l, &o, list, 3, NULL), 0);
}

static void save(void)
{
	struct xg_state_saver sv = {};
	struct xg_state_counts c;

	assert_int_equal(xg_state_save(path, &l, &sv, &c), 0);
	assert_int_equal(c.bans, 2);
	assert_int_equal(c.prefix_bans, 1);
	assert_int_equal(c.lists, 1);
	assert_int_equal(c.list_prefixes, 3);
	assert_int_equal(c.allows, 1);
	xg_state_saver_free(&sv);
}

/* Empty maps, as after a reboot. */
static void reboot(void)
{
	close_maps();
	assert_int_equal(make_maps(), 0);
}

static int load(struct xg_state_counts *c, char *aside, char *why)
{
	return xg_state_load(path, &l, c, aside, 256, why, 256);
}

static void round_trip(void **state)
{
	struct xg_source src[XG_SOURCES_MAX];
	struct xg_state_counts c;
	struct xg_prefix_entry *e;
	struct xg_addr a = addr("10.9.8.7"), b = addr("2001:db8:1::66");
	char aside[256], why[256];
	struct xg_ban ban;
	size_t n, i, own = 0;
	__u64 now;

	NEED_ROOT();
	fill();
	save();
	reboot();
	assert_int_equal(load(&c, aside, why), 0);
	assert_int_equal(c.bans, 2);
	assert_int_equal(c.prefix_bans, 1);
	assert_int_equal(c.lists, 1);
	assert_int_equal(c.allows, 1);
	assert_int_equal(c.expired, 0);
	now = xg_mono_ns();
	assert_true(xg_allow_match(
		l.allow,
		&(struct xg_addr){
			.a = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 200 } }));

	assert_int_equal(bpf_map_lookup_elem(l.bans, &a, &ban), 0);
	assert_int_equal(ban.reason, XG_REASON_PORT_SCAN);
	assert_int_equal(ban.repeat, 3);
	/* Remaining time kept to the second (rounded up, never shorter). */
	assert_true(ban.expires_ns > now + S(3597));
	assert_true(ban.expires_ns <= now + S(3601));
	assert_int_equal(bpf_map_lookup_elem(l.bans, &b, &ban), 0);
	assert_int_equal(ban.expires_ns, 0);
	assert_int_equal(ban.reason, XG_REASON_MANUAL);

	assert_int_equal(xg_prefix_dump(l.prefixes, &e, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(xg_sources_read(l.sources, src), 0);
	for (i = 0; i < n; i++) {
		if (e[i].v.owners & XG_OWNER_DIRECT) {
			own++;
			assert_int_equal(e[i].key.prefixlen, 96 + 24);
			assert_int_equal(e[i].v.ban.reason,
					 XG_REASON_SYN_FLOOD);
			assert_int_equal(e[i].v.ban.repeat, 2);
			assert_true(e[i].v.direct_expires_ns > now + S(1797));
		} else {
			assert_int_equal(e[i].v.owners, 1u << 1);
		}
	}
	assert_int_equal(own, 1);
	free(e);
	assert_string_equal(src[1].name, "drop.txt");
	assert_string_equal(src[1].note, "spamhaus");
	assert_int_equal(src[1].count, 3);
	assert_true(src[1].expires_ns > now + S(7197));
}

/* Nothing half-written is left, and a list file is written only once. */
static void atomic_and_once(void **state)
{
	struct xg_state_saver sv = {};
	struct xg_state_counts c;
	struct dirent *de;
	struct stat st1, st2;
	char lists[160], f[600] = "";
	DIR *d;

	NEED_ROOT();
	fill();
	assert_int_equal(xg_state_save(path, &l, &sv, &c), 0);
	snprintf(lists, sizeof(lists), "%s.d", path);
	d = opendir(lists);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			snprintf(f, sizeof(f), "%s/%s", lists, de->d_name);
	closedir(d);
	assert_non_null(strstr(f, "drop.txt-"));
	assert_int_equal(stat(f, &st1), 0);
	assert_int_equal(xg_state_save(path, &l, &sv, &c), 0);
	assert_int_equal(stat(f, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(access("state.json.tmp", F_OK), -1);
	/* Removing the list removes its file at the next save. */
	assert_int_equal(xg_import_remove(&l, "drop.txt", NULL), 0);
	assert_int_equal(xg_state_save(path, &l, &sv, &c), 0);
	assert_int_equal(c.lists, 0);
	assert_int_equal(access(f, F_OK), -1);
	xg_state_saver_free(&sv);
}

static void no_file(void **state)
{
	struct xg_state_counts c;
	char aside[256], why[256];

	NEED_ROOT();
	assert_int_equal(load(&c, aside, why), -ENOENT);
}

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return buf;
}

static void spit(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Replaces the first "from" in the state file with "to". */
static void edit(const char *from, const char *to)
{
	char *s = slurp(path), *at = strstr(s, from), *out;

	if (!at)
		fail_msg("'%s' not in the state file", from);
	out = calloc(1, strlen(s) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, s, at - s);
	strcat(out, to);
	strcat(out, at + strlen(from));
	spit(path, out);
	free(s);
	free(out);
}

static void list_file(char *buf, size_t len)
{
	char lists[160];
	struct dirent *de;
	DIR *d;

	snprintf(lists, sizeof(lists), "%s.d", path);
	d = opendir(lists);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			snprintf(buf, len, "%s/%s", lists, de->d_name);
	closedir(d);
}

enum damage {
	GARBAGE,
	TRUNCATED,
	VERSION,
	NO_BANS,
	NO_ALLOW,
	BAD_ALLOW,
	BAD_ADDR,
	BAD_REASON,
	BAD_TIME,
	NO_LIST_FILE,
	LIST_EDITED,
	LIST_COUNT,
	LIST_PATH,
	DAMAGE_MAX,
};

static void do_damage(enum damage dmg)
{
	char f[600], *s;

	switch (dmg) {
	case GARBAGE:
		spit(path, "this is not json\n");
		break;
	case TRUNCATED:
		s = slurp(path);
		s[strlen(s) / 2] = '\0';
		spit(path, s);
		free(s);
		break;
	case VERSION:
		edit("\"version\": 1", "\"version\": 2");
		break;
	case NO_BANS:
		edit("\"bans\"", "\"bams\"");
		break;
	case NO_ALLOW:
		edit("\"allow\"", "\"alow\"");
		break;
	case BAD_ALLOW:
		edit("192.0.2.128/25", "192.0.2.128/33");
		break;
	case BAD_ADDR:
		edit("10.9.8.7", "10.9.8");
		break;
	case BAD_REASON:
		edit("port_scan", "port_scam");
		break;
	case BAD_TIME:
		edit("\"created\": ", "\"created\": -");
		break;
	case NO_LIST_FILE:
		list_file(f, sizeof(f));
		unlink(f);
		break;
	case LIST_EDITED:
		list_file(f, sizeof(f));
		s = slurp(f);
		/* Same count, valid lines: only the hash can tell. */
		memcpy(strstr(s, "192.0.2.0/24"), "192.0.3.0/24", 12);
		spit(f, s);
		free(s);
		break;
	case LIST_COUNT:
		edit("\"count\": 3", "\"count\": 4");
		break;
	case LIST_PATH:
		edit("\"file\": \"", "\"file\": \"../");
		break;
	default:
		break;
	}
}

/* Each kind of damage: nothing restored, the file set aside, said why. */
static void corrupt_set_aside(void **state)
{
	struct xg_state_counts c;
	char aside[256], why[256];
	struct xg_lpm_key k;
	struct xg_addr a;
	int dmg;

	NEED_ROOT();
	for (dmg = 0; dmg < DAMAGE_MAX; dmg++) {
		reboot();
		fill();
		save();
		reboot();
		do_damage(dmg);
		why[0] = aside[0] = '\0';
		if (load(&c, aside, why) != -EBADMSG)
			fail_msg("damage %d: accepted", dmg);
		if (!why[0])
			fail_msg("damage %d: no reason given", dmg);
		if (!strstr(aside, ".corrupt-") || access(aside, F_OK))
			fail_msg("damage %d: not set aside (%s)", dmg, aside);
		if (!access(path, F_OK))
			fail_msg("damage %d: still in place", dmg);
		unlink(aside);
		/* Nothing of it is in the maps. */
		if (!bpf_map_get_next_key(l.bans, NULL, &a) ||
		    !bpf_map_get_next_key(l.prefixes, NULL, &k) ||
		    !bpf_map_get_next_key(l.allow, NULL, &k))
			fail_msg("damage %d (%s): something was restored", dmg,
				 why);
	}
}

static void expired_not_restored(void **state)
{
	struct xg_state_counts c;
	char aside[256], why[256], *s, *at;
	struct xg_addr a = addr("10.9.8.7");
	struct xg_ban ban;

	NEED_ROOT();
	fill();
	save();
	reboot();
	/* The port_scan ban's expiry: a second after the epoch. */
	s = slurp(path);
	at = strstr(strstr(s, "port_scan"), "\"expires\": ") + 11;
	memcpy(at, "1         ", 10);
	spit(path, s);
	free(s);
	assert_int_equal(load(&c, aside, why), 0);
	assert_int_equal(c.expired, 1);
	assert_int_equal(c.bans, 1);
	assert_int_not_equal(bpf_map_lookup_elem(l.bans, &a, &ban), 0);
}

static void migrate_values(void **state)
{
	struct xg_ban old[2] = {
		{ .expires_ns = 5, .created_ns = 6, .reason = 7, .repeat = 8 },
		{ .expires_ns = 9 }
	};
	struct bigger {
		struct xg_ban ban;
		__u64 added;
	} out[2];
	/* Per-CPU: 12-byte values sit 16 bytes apart, per CPU. */
	__u8 in[2 * 2 * 16], po[2 * 2 * 24];
	int i;

	memset(out, 0xaa, sizeof(out));
	xg_migrate_values(old, sizeof(old[0]), out, sizeof(out[0]), false, 4,
			  2);
	assert_memory_equal(&out[0].ban, &old[0], sizeof(old[0]));
	assert_memory_equal(&out[1].ban, &old[1], sizeof(old[1]));
	assert_int_equal(out[0].added, 0);
	assert_int_equal(out[1].added, 0);

	for (i = 0; i < (int)sizeof(in); i++)
		in[i] = i;
	memset(po, 0xaa, sizeof(po));
	xg_migrate_values(in, 12, po, 20, true, 2, 2);
	for (i = 0; i < 4; i++) {
		assert_memory_equal(po + i * 24, in + i * 16, 12);
		assert_int_equal(po[i * 24 + 12], 0);
		assert_int_equal(po[i * 24 + 23], 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(atomic_and_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(no_file, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_set_aside, setup,
						teardown),
		cmocka_unit_test_setup_teardown(expired_not_restored, setup,
						teardown),
		cmocka_unit_test(migrate_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
