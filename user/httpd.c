// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The HTTP side of the metrics. We bind the listening socket ourselves and
 * hand it to libmicrohttpd: that way a taken port or a foreign address is
 * reported with its errno before anything is attached, and the default stays
 * loopback unless the operator names another address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <microhttpd.h>

#include "common.h"
#include "httpd.h"
#include "parse.h"

struct xg_httpd {
	struct MHD_Daemon *mhd;
	int fd;
	xg_httpd_fn fn;
	void *ctx;
	char addr[64];
};

static __thread char why[160];

static __attribute__((format(printf, 1, 2))) int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *xg_listen_error(void)
{
	return why;
}

int xg_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = s, *colon;
	__u64 p;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':' ||
		    (size_t)(end - s - 1) >= sizeof(host))
			return fail("expected [IPv6]:PORT");
		memcpy(host, s + 1, end - s - 1);
		host[end - s - 1] = '\0';
		port = end + 2;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return fail("'%s' is not an IPv6 address", host);
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
	} else if ((colon = strrchr(s, ':'))) {
		if ((size_t)(colon - s) >= sizeof(host) || colon == s)
			return fail("expected ADDR:PORT");
		memcpy(host, s, colon - s);
		host[colon - s] = '\0';
		port = colon + 1;
		if (!strcmp(host, "localhost"))
			strcpy(host, "127.0.0.1");
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return fail(
				strchr(host, ':') ?
					"an IPv6 address goes in brackets: [ADDR]:PORT" :
					"'%s' is not an IPv4 address (a.b.c.d, or [IPv6])",
				host);
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
	}
	if (xg_parse_u64(port, 1, 65535, &p))
		return fail("port '%s': %s", port, xg_parse_error());
	if (ss->ss_family == AF_INET6)
		sin6->sin6_port = htons(p);
	else
		sin->sin_port = htons(p);
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     char *buf, size_t len,
			     enum MHD_ResponseMemoryMode mode, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, buf, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	static const char index[] =
		"xdpguard: metrics at /metrics (Prometheus text format)\n";
	static const char notfound[] = "not found: try /metrics\n";
	static const char badmethod[] = "only GET and HEAD\n";
	struct xg_httpd *h = cls;
	char *buf = NULL;
	size_t len = 0;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, (char *)badmethod,
			     sizeof(badmethod) - 1, MHD_RESPMEM_PERSISTENT,
			     "text/plain");
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, (char *)index, sizeof(index) - 1,
			     MHD_RESPMEM_PERSISTENT, "text/plain");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, (char *)notfound,
			     sizeof(notfound) - 1, MHD_RESPMEM_PERSISTENT,
			     "text/plain");
	if (h->fn(h->ctx, &buf, &len))
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     (char *)"cannot read the counters\n", 25,
			     MHD_RESPMEM_PERSISTENT, "text/plain");
	return reply(c, MHD_HTTP_OK, buf, len, MHD_RESPMEM_MUST_FREE,
		     "text/plain; version=0.0.4; charset=utf-8");
}

int xg_httpd_open(const char *addr, struct xg_httpd **out)
{
	struct sockaddr_storage ss;
	struct xg_httpd *h;
	socklen_t len;
	int one = 1, err;

	if (xg_listen_parse(addr, &ss, &len)) {
		xg_err("invalid metrics address '%s': %s", addr,
		       xg_listen_error());
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	snprintf(h->addr, sizeof(h->addr), "%s", addr);
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(h->fd, (struct sockaddr *)&ss, len) || listen(h->fd, 16)) {
		err = -errno;
		xg_err("cannot serve metrics on %s: %s", addr, strerror(errno));
		if (h->fd >= 0)
			close(h->fd);
		free(h);
		return err;
	}
	*out = h;
	return 0;
}

int xg_httpd_start(struct xg_httpd *h, xg_httpd_fn fn, void *ctx)
{
	sigset_t all, old;

	h->fn = fn;
	h->ctx = ctx;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, h,
		MHD_OPTION_LISTEN_SOCKET, h->fd, MHD_OPTION_CONNECTION_LIMIT,
		32, MHD_OPTION_CONNECTION_TIMEOUT, 10, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->mhd) {
		xg_err("cannot start the metrics server on %s", h->addr);
		return -EIO;
	}
	return 0;
}

void xg_httpd_stop(struct xg_httpd *h)
{
	if (!h)
		return;
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	close(h->fd);
	free(h);
}
