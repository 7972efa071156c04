// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Counts established TCP sockets per remote address through inet_diag over
 * NETLINK_SOCK_DIAG, one dump per address family, as ss(8) does. The
 * kernel filters by state, so only established sockets cross into user
 * space; remote addresses are gathered, sorted and counted in runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <libmnl/libmnl.h>

#include "sockdiag.h"

/* Big enough for dozens of inet_diag records per read. */
#define DUMP_BUF 32768

struct peers {
	struct xg_addr *a;
	size_t n, cap;
	int err;
};

static int on_sock(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct peers *p = data;
	struct xg_addr *a;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m) ||
	    m->idiag_state != TCP_ESTABLISHED)
		return MNL_CB_OK;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;

		a = realloc(p->a, cap * sizeof(*a));
		if (!a) {
			p->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		p->a = a;
		p->cap = cap;
	}
	a = &p->a[p->n];
	memset(a, 0, sizeof(*a));
	if (m->idiag_family == AF_INET) {
		a->a[10] = 0xff;
		a->a[11] = 0xff;
		memcpy(&a->a[12], &m->id.idiag_dst[0], 4);
	} else if (m->idiag_family == AF_INET6) {
		memcpy(a->a, m->id.idiag_dst, 16);
	} else {
		return MNL_CB_OK;
	}
	p->n++;
	return MNL_CB_OK;
}

/* One dump of the established TCP sockets of family into p. */
static int dump(struct mnl_socket *nl, __u8 family, char *buf, struct peers *p)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	__u32 seq = time(NULL) + family;
	ssize_t len;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = 1U << TCP_ESTABLISHED;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(nl, buf, DUMP_BUF);
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(buf, len, seq, portid, on_sock, p);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return p->err ? p->err : -errno;
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xg_addr));
}

int xg_sockdiag_count(struct xg_conn_count **out, size_t *n)
{
	static const __u8 families[] = { AF_INET, AF_INET6 };
	struct xg_conn_count *res = NULL;
	struct peers p = {};
	struct mnl_socket *nl;
	size_t i, k = 0;
	char *buf;
	int err = 0;

	buf = malloc(DUMP_BUF);
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!buf || !nl) {
		err = buf ? -errno : -ENOMEM;
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < sizeof(families) && !err; i++) {
		err = dump(nl, families[i], buf, &p);
		/* No IPv6 in this kernel (or namespace): nothing to count. */
		if (err == -ENOENT || err == -EAFNOSUPPORT)
			err = 0;
	}
	if (err)
		goto out;

	/* qsort(NULL, 0, ...) is undefined behaviour (UBSan says so). */
	if (p.n) {
		qsort(p.a, p.n, sizeof(*p.a), cmp_addr);
		res = malloc(p.n * sizeof(*res));
		if (!res) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < p.n; i++) {
		if (!k || memcmp(&res[k - 1].addr, &p.a[i], sizeof(p.a[i])))
			res[k++] = (struct xg_conn_count){ .addr = p.a[i] };
		res[k - 1].established++;
	}
	*out = res;
	*n = k;
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	free(p.a);
	return err;
}
