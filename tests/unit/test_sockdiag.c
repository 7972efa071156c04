// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests of the sock_diag reader (user/sockdiag.c) against real loopback
 * connections of this process, in whatever network namespace it runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "sockdiag.h"

#define NCLIENTS 5

struct conns {
	int lfd;
	int fds[2 * NCLIENTS];
	int nfds;
};

static void conns_close(struct conns *c)
{
	int i;

	for (i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	if (c->lfd >= 0)
		close(c->lfd);
}

/*
 * A listener on an ephemeral loopback port with NCLIENTS connected and
 * accepted clients. Returns -1 (after cleaning up) when family has no
 * loopback here, so the caller can skip.
 */
static int conns_open(struct conns *c, int family)
{
	struct sockaddr_storage ss = { .ss_family = family };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	int i, fd;

	memset(c, 0, sizeof(*c));
	if (family == AF_INET)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		sin6->sin6_addr = in6addr_loopback;
	c->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&ss, len) ||
	    listen(c->lfd, NCLIENTS) ||
	    getsockname(c->lfd, (struct sockaddr *)&ss, &len)) {
		conns_close(c);
		return -1;
	}
	for (i = 0; i < NCLIENTS; i++) {
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		c->fds[c->nfds++] = fd;
		if (connect(fd, (struct sockaddr *)&ss, len))
			fail_msg("connect: %s", strerror(errno));
		fd = accept(c->lfd, NULL, NULL);
		if (fd < 0)
			fail_msg("accept: %s", strerror(errno));
		c->fds[c->nfds++] = fd;
	}
	return 0;
}

static __u32 count_of(const struct xg_conn_count *cc, size_t n, const char *v6)
{
	struct xg_addr a;
	size_t i;

	assert_int_equal(inet_pton(AF_INET6, v6, a.a), 1);
	for (i = 0; i < n; i++)
		if (!memcmp(&cc[i].addr, &a, sizeof(a)))
			return cc[i].established;
	return 0;
}

static void check_sorted_unique(const struct xg_conn_count *cc, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		assert_true(memcmp(&cc[i - 1].addr, &cc[i].addr,
				   sizeof(cc[i].addr)) < 0);
	for (i = 0; i < n; i++)
		assert_true(cc[i].established > 0);
}

static void test_loopback_v4(void **state)
{
	struct xg_conn_count *cc = NULL;
	struct conns c;
	__u32 before;
	size_t n = 0;
	int err;

	(void)state;
	if (conns_open(&c, AF_INET))
		skip();
	err = xg_sockdiag_count(&cc, &n);
	if (err)
		fail_msg("xg_sockdiag_count: %s", strerror(-err));
	check_sorted_unique(cc, n);
	/* Both ends of each connection have 127.0.0.1 as their peer. */
	if (count_of(cc, n, "::ffff:127.0.0.1") < NCLIENTS)
		fail_msg("127.0.0.1: %u established, want >= %d",
			 count_of(cc, n, "::ffff:127.0.0.1"), NCLIENTS);
	assert_int_equal(count_of(cc, n, "::ffff:192.0.2.1"), 0);
	before = count_of(cc, n, "::ffff:127.0.0.1");
	free(cc);

	/*
	 * Closed, our 2 * NCLIENTS ends sit in FIN_WAIT/TIME_WAIT/CLOSE_WAIT
	 * and must not count; the slack is for other programs' connections.
	 */
	conns_close(&c);
	cc = NULL;
	err = xg_sockdiag_count(&cc, &n);
	assert_int_equal(err, 0);
	assert_true(count_of(cc, n, "::ffff:127.0.0.1") + NCLIENTS <= before);
	free(cc);
}

static void test_loopback_v6(void **state)
{
	struct xg_conn_count *cc = NULL;
	struct conns c;
	size_t n = 0;
	int err;

	(void)state;
	if (conns_open(&c, AF_INET6))
		skip(); /* no IPv6 loopback here */
	err = xg_sockdiag_count(&cc, &n);
	if (err)
		fail_msg("xg_sockdiag_count: %s", strerror(-err));
	check_sorted_unique(cc, n);
	assert_true(count_of(cc, n, "::1") >= NCLIENTS);
	assert_int_equal(count_of(cc, n, "2001:db8::1"), 0);
	free(cc);
	conns_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_v4),
		cmocka_unit_test(test_loopback_v6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
