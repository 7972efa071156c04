// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Self-protection. Source bans can be turned against their owner: an
 * attacker who forges the source address of the host itself, its gateway or
 * the administrator's SSH client gets that address banned, and the owner is
 * cut off. So the daemon allowlists those addresses at start (and every
 * 30 s, as they change): the allowlist wins over every ban and the detector
 * never bans an allowlisted source. The entries carry XG_ALLOW_F_SELF, so
 * they can be told from the operator's and removed with --no-self-protect.
 *
 * Local addresses come from getifaddrs(), gateways from a netlink route dump
 * (libmnl, as sockdiag.c uses it), the SSH peer from $SSH_CONNECTION.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <bpf/bpf.h>

#include "bans.h"
#include "common.h"
#include "vgen.h"
#include "output.h"
#include "parse.h"
#include "selfprotect.h"

#define REFRESH_NS (30ULL * NSEC_PER_SEC)

static const char *const kind_names[] = {
	[XG_SELF_LOCAL] = "local address",
	[XG_SELF_GATEWAY] = "default gateway",
	[XG_SELF_SSH] = "SSH peer",
};

const char *xg_self_kind_name(enum xg_self_kind kind)
{
	return kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : "?";
}

int xg_self_add(struct xg_self_set *s, const struct xg_addr *a,
		enum xg_self_kind kind)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(&s->a[i].addr, a, sizeof(*a)))
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct xg_self_addr *n = realloc(s->a, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->a = n;
		s->cap = cap;
	}
	s->a[s->n].addr = *a;
	s->a[s->n].kind = kind;
	s->n++;
	return 0;
}

void xg_self_free(struct xg_self_set *s)
{
	free(s->a);
	memset(s, 0, sizeof(*s));
}

/* An address of a family the kernel gave us: 4 or 16 bytes. */
static int add_raw(struct xg_self_set *s, int family, const void *p, size_t len,
		   enum xg_self_kind kind)
{
	struct xg_addr a = {};

	if (family == AF_INET && len >= 4) {
		a.a[10] = a.a[11] = 0xff;
		memcpy(&a.a[12], p, 4);
	} else if (family == AF_INET6 && len >= 16) {
		memcpy(a.a, p, 16);
	} else {
		return 0;
	}
	return xg_self_add(s, &a, kind);
}

int xg_self_parse_ssh(const char *env, struct xg_addr *out)
{
	char buf[XG_ADDR_STRLEN + 16];
	size_t n;

	if (!env)
		return -EINVAL;
	env += strspn(env, " ");
	n = strcspn(env, " %");
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, env, n);
	buf[n] = '\0';
	return xg_parse_addr(buf, out);
}

/* The attributes inside one hop of RTA_MULTIPATH. */
static int parse_hop(const struct rtnexthop *nh, int family,
		     struct xg_self_set *s)
{
	const void *payload = (const char *)nh + RTNH_LENGTH(0);
	size_t payload_size = nh->rtnh_len - RTNH_LENGTH(0);
	const struct nlattr *attr;
	int err;

	mnl_attr_for_each_payload(payload, payload_size)
	{
		if (mnl_attr_get_type(attr) != RTA_GATEWAY)
			continue;
		err = add_raw(s, family, mnl_attr_get_payload(attr),
			      mnl_attr_get_payload_len(attr), XG_SELF_GATEWAY);
		if (err)
			return err;
	}
	return 0;
}

int xg_self_parse_route(const struct nlmsghdr *nlh, struct xg_self_set *s)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	int err = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST)
		return 0;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
	{
		const void *p = mnl_attr_get_payload(attr);
		size_t len = mnl_attr_get_payload_len(attr);

		switch (mnl_attr_get_type(attr)) {
		case RTA_GATEWAY:
			err = add_raw(s, rtm->rtm_family, p, len,
				      XG_SELF_GATEWAY);
			break;
		case RTA_VIA: /* an IPv4 route via an IPv6 next hop */
			if (len > sizeof(struct rtvia))
				err = add_raw(
					s,
					((const struct rtvia *)p)->rtvia_family,
					((const struct rtvia *)p)->rtvia_addr,
					len - sizeof(struct rtvia),
					XG_SELF_GATEWAY);
			break;
		case RTA_MULTIPATH: {
			const struct rtnexthop *nh = p;

			while (len >= sizeof(*nh) &&
			       nh->rtnh_len >= sizeof(*nh) &&
			       nh->rtnh_len <= len && !err) {
				err = parse_hop(nh, rtm->rtm_family, s);
				if ((size_t)RTNH_ALIGN(nh->rtnh_len) >= len)
					break;
				len -= RTNH_ALIGN(nh->rtnh_len);
				nh = RTNH_NEXT(nh);
			}
			break;
		}
		}
		if (err)
			return err;
	}
	return 0;
}

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	return xg_self_parse_route(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

static int dump_gateways(struct xg_self_set *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned int seq = time(NULL), portid;
	int ret, err = 0;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	/* AF_UNSPEC: IPv4 and IPv6 routes of every table in one dump. */
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	while ((ret = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, ret, seq, portid, on_route, s);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (ret < 0)
		err = errno ? -errno : -EIO;
out:
	mnl_socket_close(nl);
	return err;
}

static int local_addrs(struct xg_self_set *s)
{
	struct ifaddrs *ifa, *i;
	int err = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && !err; i = i->ifa_next) {
		/*
		 * Loopback addresses never arrive on a NIC but forged: the
		 * stack drops them as martians, and allowlisting them would
		 * only hide such a flood from the counters.
		 */
		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			err = add_raw(
				s, AF_INET,
				&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				4, XG_SELF_LOCAL);
		else if (i->ifa_addr->sa_family == AF_INET6)
			err = add_raw(s, AF_INET6,
				      &((struct sockaddr_in6 *)i->ifa_addr)
					       ->sin6_addr,
				      16, XG_SELF_LOCAL);
	}
	freeifaddrs(ifa);
	return err;
}

int xg_self_collect(struct xg_self_set *s)
{
	const char *ssh = getenv("SSH_CONNECTION");
	struct xg_addr peer;
	int err;

	err = local_addrs(s);
	if (err) {
		xg_err("self-protection: cannot list local addresses: %s",
		       strerror(-err));
		return err;
	}
	err = dump_gateways(s);
	if (err) {
		xg_err("self-protection: cannot read the routing table: %s",
		       strerror(-err));
		return err;
	}
	if (!ssh)
		ssh = getenv("SSH_CLIENT");
	if (ssh && !xg_self_parse_ssh(ssh, &peer))
		return xg_self_add(s, &peer, XG_SELF_SSH);
	return 0;
}

static bool in_set(const struct xg_self_set *s, const struct xg_addr *a)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(&s->a[i].addr, a, sizeof(*a)))
			return true;
	return false;
}

int xg_self_sync(int allow_fd, const struct xg_self_set *s)
{
	struct xg_allow_entry *e;
	size_t n, i, j;
	int err, added = 0;

	err = xg_allow_list(allow_fd, &e, &n);
	if (err) {
		xg_err("self-protection: cannot read the allowlist: %s",
		       xg_bpf_strerror(err));
		return err;
	}
	/* Stale self entries first: they free room for the new ones. */
	for (i = 0; i < n; i++) {
		if (!(e[i].allow.flags & XG_ALLOW_F_SELF) ||
		    (e[i].prefix.prefixlen == 128 &&
		     in_set(s, (struct xg_addr *)e[i].prefix.a)))
			continue;
		if (bpf_map_delete_elem(allow_fd, &e[i].prefix) &&
		    errno != ENOENT) {
			err = -errno;
			xg_err("self-protection: cannot remove a stale entry: %s",
			       xg_bpf_strerror(err));
			goto out;
		}
	}
	for (i = 0; i < s->n; i++) {
		struct xg_lpm_key k = { .prefixlen = 128 };
		struct xg_allow v = { .created_ns = xg_mono_ns(),
				      .flags = XG_ALLOW_F_SELF };

		memcpy(k.a, s->a[i].addr.a, sizeof(k.a));
		/* Already there, ours or the operator's (which stays theirs). */
		for (j = 0; j < n; j++)
			if (!memcmp(&e[j].prefix, &k, sizeof(k)))
				break;
		if (j < n)
			continue;
		if (bpf_map_update_elem(allow_fd, &k, &v, BPF_NOEXIST) &&
		    errno != EEXIST) {
			char a[XG_ADDR_STRLEN];

			err = -errno;
			xg_err("self-protection: cannot allowlist %s (%s): %s%s",
			       xg_addr_str(&s->a[i].addr, a, sizeof(a)),
			       xg_self_kind_name(s->a[i].kind),
			       xg_bpf_strerror(err),
			       err == -E2BIG || err == -ENOSPC ?
				       " (raise --allow-max, or --self-protect false)" :
				       "");
			goto out;
		}
		added++;
	}
	err = added;
out:
	/* Stale entries may have gone even when adding one failed. */
	xg_verdicts_changed();
	free(e);
	return err;
}

static void report(const struct xg_self_set *s, int added)
{
	json_object *o = json_object_new_object(), *arr;
	char list[400] = "", a[XG_ADDR_STRLEN];
	size_t i, len = 0;

	arr = json_object_new_array();
	for (i = 0; i < s->n; i++) {
		json_object *x = json_object_new_object();

		xg_addr_str(&s->a[i].addr, a, sizeof(a));
		json_object_object_add(x, "addr", json_object_new_string(a));
		json_object_object_add(x, "kind",
				       json_object_new_string(xg_self_kind_name(
					       s->a[i].kind)));
		json_object_array_add(arr, x);
		if (s->a[i].kind != XG_SELF_LOCAL && len < sizeof(list))
			len += snprintf(list + len, sizeof(list) - len,
					", %s %s",
					xg_self_kind_name(s->a[i].kind), a);
	}
	json_object_object_add(o, "addrs", arr);
	json_object_object_add(o, "added", json_object_new_int(added));
	xg_output_note("self_protect", o,
		       "never banned: %zu addresses (local addresses%s)", s->n,
		       list);
}

int xg_self_protect(int allow_fd, bool enable, __u64 now_ns)
{
	static __u64 last_ns;
	static bool started;
	struct xg_self_set s = {};
	int err;

	if (started && (!enable || now_ns - last_ns < REFRESH_NS))
		return 0;
	last_ns = now_ns;
	err = enable ? xg_self_collect(&s) : 0;
	if (!err)
		err = xg_self_sync(allow_fd, &s);
	if (err >= 0 && enable && (!started || err > 0))
		report(&s, err);
	started = true;
	xg_self_free(&s);
	return err < 0 ? err : 0;
}
