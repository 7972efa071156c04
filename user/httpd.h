/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The metrics endpoint: libmicrohttpd serving GET /metrics from its own
 * thread, so a slow or stuck client never delays the daemon's poll loop.
 */
#ifndef XG_HTTPD_H
#define XG_HTTPD_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * "PORT" (loopback: 127.0.0.1), "ADDR:PORT" (IPv4 or "localhost") or
 * "[ADDR]:PORT" (IPv6). Returns -EINVAL, the reason then in
 * xg_listen_error().
 */
int xg_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);
const char *xg_listen_error(void);

/*
 * Produces the page: a malloc'd buffer the server frees. Runs in the
 * server's thread.
 */
typedef int (*xg_httpd_fn)(void *ctx, char **buf, size_t *len);

struct xg_httpd;

/*
 * Binds addr (reporting a busy port or bad address once) and starts the
 * server thread with every signal blocked, so signals still reach only the
 * daemon's signalfd.
 */
int xg_httpd_start(const char *addr, xg_httpd_fn fn, void *ctx,
		   struct xg_httpd **out);
void xg_httpd_stop(struct xg_httpd *h);

#endif /* XG_HTTPD_H */
