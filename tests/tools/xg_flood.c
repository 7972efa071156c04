// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A spoofed-source flood for the live tests: raw Ethernet frames (AF_PACKET,
 * sendmmsg in batches, qdisc bypassed) on one interface the test created,
 * each from a different source address. hping3 --rand-source draws sources
 * at random (repeats included) at about a tenth of this rate here, so it
 * cannot show a million distinct sources in a test's time budget.
 *
 * Sources are base + perm(i) for i = 0, 1, ... where perm is a bijection of
 * [0, 2^bits) (multiply by an odd constant, then xorshift, both invertible
 * mod 2^bits): N frames carry exactly N distinct sources for N <= 2^bits.
 *
 * usage: xg_flood -i IFACE -m DST_MAC -d DST_IPV4 -s BASE/BITS
 *                 [-n FRAMES] [-t SECONDS] [--syn]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#define BATCH 256
#define FRAME_LEN 60

struct opts {
	const char *ifname;
	uint8_t dmac[6];
	uint32_t dst; /* network order */
	uint32_t base; /* host order */
	int bits;
	unsigned long long count;
	double seconds;
	int syn;
};

static uint32_t perm(uint32_t i, int bits)
{
	uint32_t mask = bits == 32 ? ~0u : (1u << bits) - 1;
	uint32_t x = (i * 0x9E3779B1u) & mask;

	return x ^ (x >> (bits / 2 + 1));
}

static uint16_t csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t s = 0;

	for (; len > 1; len -= 2)
		s += *w++;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/* Ethernet + IPv4 + UDP (or TCP SYN), padded to 60 bytes. */
static void build(uint8_t *f, const struct opts *o, uint32_t src,
		  const uint8_t smac[6], uint16_t sport)
{
	uint8_t *ip = f + 14, *l4 = ip + 20;

	memset(f, 0, FRAME_LEN);
	memcpy(f, o->dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = FRAME_LEN - 14;
	ip[8] = 64;
	ip[9] = o->syn ? IPPROTO_TCP : IPPROTO_UDP;
	src = htonl(src);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &o->dst, 4);
	*(uint16_t *)(ip + 10) = csum(ip, 20);
	*(uint16_t *)l4 = htons(sport);
	/* A closed port on the victim. */
	*(uint16_t *)(l4 + 2) = htons(9);
	if (o->syn) {
		l4[12] = 5 << 4;
		l4[13] = 0x02;
		*(uint16_t *)(l4 + 14) = htons(65535);
	} else {
		*(uint16_t *)(l4 + 4) = htons(FRAME_LEN - 14 - 20);
	}
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ?
		       0 :
		       -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xg_flood -i IFACE -m DST_MAC -d DST_IPV4 -s BASE/BITS [-n FRAMES] [-t SECONDS] [--syn]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "syn", no_argument, NULL, 'S' },
					    {} };
	static uint8_t frames[BATCH][FRAME_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct opts o = { .count = 1000000, .seconds = 60 };
	uint8_t smac[6] = { 0x02, 0x66, 0, 0, 0, 1 };
	unsigned long long sent = 0;
	char *slash;
	double t0, dt;
	int c, fd, one = 1, i, have = 0;
	struct in_addr a;

	while ((c = getopt_long(argc, argv, "i:m:d:s:n:t:", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.ifname = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, o.dmac))
				usage();
			have |= 1;
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				usage();
			o.dst = a.s_addr;
			have |= 2;
			break;
		case 's':
			slash = strchr(optarg, '/');
			if (!slash)
				usage();
			*slash = '\0';
			if (inet_pton(AF_INET, optarg, &a) != 1)
				usage();
			o.base = ntohl(a.s_addr);
			o.bits = atoi(slash + 1);
			if (o.bits < 8 || o.bits > 24)
				usage();
			have |= 4;
			break;
		case 'n':
			o.count = strtoull(optarg, NULL, 10);
			break;
		case 't':
			o.seconds = atof(optarg);
			break;
		case 'S':
			o.syn = 1;
			break;
		default:
			usage();
		}
	}
	if (!o.ifname || have != 7 || !o.count || o.count > (1ULL << o.bits) ||
	    o.seconds <= 0)
		usage();
	sll.sll_ifindex = if_nametoindex(o.ifname);
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, o.dmac, 6);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "xg_flood: no interface %s\n", o.ifname);
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("xg_flood: socket");
		return 1;
	}
	/* Straight to the driver: the veth takes it, no qdisc in between. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));

	memset(msgs, 0, sizeof(msgs));
	t0 = now_s();
	while (sent < o.count && (dt = now_s() - t0) < o.seconds) {
		int n = o.count - sent < BATCH ? (int)(o.count - sent) : BATCH;
		int got;

		for (i = 0; i < n; i++) {
			uint32_t k = (uint32_t)(sent + i);

			build(frames[i], &o, o.base + perm(k, o.bits), smac,
			      1024 + (k & 0x7fff));
			iov[i].iov_base = frames[i];
			iov[i].iov_len = FRAME_LEN;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &sll;
			msgs[i].msg_hdr.msg_namelen = sizeof(sll);
		}
		got = sendmmsg(fd, msgs, n, 0);
		if (got < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("xg_flood: sendmmsg");
			return 1;
		}
		/* A short send resends the rest with the same sources. */
		sent += got;
	}
	dt = now_s() - t0;
	printf("sent %llu frames from %llu distinct sources in %.2f s (%.0f pps)\n",
	       sent, sent, dt, sent / dt);
	close(fd);
	return 0;
}
