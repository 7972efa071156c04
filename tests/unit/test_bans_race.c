// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sweeper against a concurrent writer, on a real hash map (skipped
 * without the rights to create one). Thousands of bans expire; while the
 * sweeper deletes them, another thread renews each one for good, as an
 * operator's `xdpguard ban` would. Every renewed ban must survive: a sweep
 * that deletes by the key of a stale snapshot loses them.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include <cmocka.h>

#include "bans.h"
#include "common.h"

#define N 20000
#define ROUNDS 5

struct race {
	int fd;
	int swept;
	volatile int go;
};

static struct xg_addr nth(int i)
{
	struct xg_addr a = {};

	a.a[10] = a.a[11] = 0xff;
	a.a[12] = 10;
	a.a[13] = i >> 16;
	a.a[14] = i >> 8;
	a.a[15] = i;
	return a;
}

static void *sweeper(void *arg)
{
	struct race *r = arg;
	int n;

	while (!r->go)
		;
	/* Until nothing expired is left (the writer finishes meanwhile). */
	do {
		n = xg_ban_sweep(r->fd, xg_mono_ns(), NULL, NULL, NULL);
		if (n > 0)
			r->swept += n;
	} while (n > 0);
	return NULL;
}

static void test_renew_while_sweeping(void **state)
{
	struct race r = {};
	int round, i, lost_total = 0;

	r.fd = bpf_map_create(BPF_MAP_TYPE_HASH, "t_bans",
			      sizeof(struct xg_addr), sizeof(struct xg_ban), N,
			      NULL);
	if (r.fd < 0)
		skip(); /* needs CAP_BPF */
	for (round = 0; round < ROUNDS; round++) {
		struct xg_ban old = { .expires_ns = 1, .reason = 1 };
		pthread_t t;
		int lost = 0;

		for (i = 0; i < N; i++) {
			struct xg_addr a = nth(i);

			assert_int_equal(
				bpf_map_update_elem(r.fd, &a, &old, BPF_ANY),
				0);
		}
		r.go = 0;
		r.swept = 0;
		assert_int_equal(pthread_create(&t, NULL, sweeper, &r), 0);
		r.go = 1;
		/* From the end, so the two threads meet in the middle. */
		for (i = N - 1; i >= 0; i--) {
			struct xg_addr a = nth(i);

			assert_int_equal(xg_ban_add(r.fd, &a, 0, 1, 1), 0);
		}
		pthread_join(t, NULL);
		for (i = 0; i < N; i++) {
			struct xg_addr a = nth(i);
			struct xg_ban b;

			if (bpf_map_lookup_elem(r.fd, &a, &b) || b.expires_ns)
				lost++;
		}
		print_message(
			"# round %d: %d expired bans swept, %d renewed bans lost\n",
			round, r.swept, lost);
		lost_total += lost;
	}
	close(r.fd);
	assert_int_equal(lost_total, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renew_while_sweeping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
