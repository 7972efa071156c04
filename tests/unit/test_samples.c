// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Drop samples in user space (user/samples.c): the rate cap, the ring of
 * the last ones kept, and the pcap file read back with libpcap, as tcpdump
 * reads it, appended to across a reopen.
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
#include <pcap/pcap.h>

#include <cmocka.h>

#include "common.h"
#include "samples.h"

#define MS(x) ((__u64)(x)*1000000ULL)
#define SEC(x) ((__u64)(x)*1000000000ULL)
#define T0 SEC(5000)

static void test_bucket(void **state)
{
	struct xg_bucket b;
	int i, n = 0;

	xg_bucket_init(&b, 10, T0);
	/* A burst of 10, then nothing at the same instant. */
	for (i = 0; i < 50; i++)
		n += xg_bucket_take(&b, T0);
	assert_int_equal(n, 10);
	/* 100 ms earns one token. */
	assert_false(xg_bucket_take(&b, T0 + MS(50)));
	assert_true(xg_bucket_take(&b, T0 + MS(100)));
	assert_false(xg_bucket_take(&b, T0 + MS(100)));
	/* Over 10 s at 1000 offers/s: 10/s pass, no more. */
	n = 0;
	for (i = 1; i <= 10000; i++)
		n += xg_bucket_take(&b, T0 + MS(100) + MS(i));
	assert_in_range(n, 99, 101);
	/* A long quiet time refills the burst only, not more. */
	n = 0;
	for (i = 0; i < 50; i++)
		n += xg_bucket_take(&b, T0 + SEC(3600));
	assert_int_equal(n, 10);
	/* A clock that goes back spends, never earns. */
	assert_false(xg_bucket_take(&b, T0));
}

static struct xg_sample frame(__u32 i)
{
	struct xg_sample s = { .ts_ns = T0, .reason = 1, .pkt_len = 60 + i };
	__u32 k;

	s.cap_len = 60 + i < XG_SAMPLE_SNAP ? 60 + i : XG_SAMPLE_SNAP;
	for (k = 0; k < s.cap_len; k++)
		s.data[k] = (__u8)(i + k);
	return s;
}

static void test_ring(void **state)
{
	struct xg_samples *s = malloc(sizeof(*s));
	json_object *arr;
	__u32 i, kept = 0;

	xg_samples_init(s, 1000, T0);
	for (i = 0; i < 250; i++) {
		struct xg_sample x = frame(i);

		kept += xg_samples_add(s, &x, T0 + MS(10) * i, SEC(1700000000));
	}
	assert_int_equal(kept, 250);
	assert_int_equal(s->kept, 250);
	assert_true(s->dirty);
	arr = xg_samples_json(s);
	/* The last XG_SAMPLES_KEEP, oldest first. */
	assert_int_equal(json_object_array_length(arr), XG_SAMPLES_KEEP);
	assert_int_equal(json_object_get_int(json_object_object_get(
				 json_object_array_get_idx(arr, 0), "seq")),
			 151);
	assert_int_equal(json_object_get_int(json_object_object_get(
				 json_object_array_get_idx(arr, 99), "seq")),
			 250);
	json_object_put(arr);

	/* Rate 2: the cap counts what it throws away. */
	xg_samples_init(s, 2, T0);
	for (i = 0; i < 10; i++) {
		struct xg_sample x = frame(i);

		xg_samples_add(s, &x, T0, SEC(1700000000));
	}
	assert_int_equal(s->kept, 2);
	assert_int_equal(s->capped, 8);
	free(s);
}

static int read_pcap(const char *path, struct pcap_pkthdr *hdrs,
		     __u8 data[][XG_SAMPLE_SNAP], int max)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p = pcap_open_offline(path, err);
	int n = 0;

	if (!p)
		fail_msg("libpcap cannot read %s: %s", path, err);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(p), XG_SAMPLE_SNAP);
	while (n < max && pcap_next_ex(p, &h, &d) == 1) {
		hdrs[n] = *h;
		memcpy(data[n], d, h->caplen);
		n++;
	}
	pcap_close(p);
	return n;
}

static void test_pcap(void **state)
{
	struct xg_samples *s = malloc(sizeof(*s));
	char path[] = "/tmp/xg-unit-pcap-XXXXXX";
	struct pcap_pkthdr h[8];
	__u8 data[8][XG_SAMPLE_SNAP];
	struct xg_sample x;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	unlink(path); /* libpcap creates it */
	xg_samples_init(s, 100, T0);
	assert_int_equal(xg_samples_pcap_open(s, path), 0);
	x = frame(0);
	/* Dropped 2 s before "now": stamped at real time - 2 s. */
	x.ts_ns = T0 - SEC(2);
	xg_samples_add(s, &x, T0, SEC(1700000000) + 500000000);
	x = frame(100); /* 160 bytes on the wire, 128 kept */
	xg_samples_add(s, &x, T0, SEC(1700000001));
	/* Flushed per sample: readable while still open. */
	assert_int_equal(read_pcap(path, h, data, 8), 2);
	assert_int_equal(h[0].ts.tv_sec, 1699999998);
	assert_int_equal(h[0].ts.tv_usec, 500000);
	assert_int_equal(h[0].caplen, 60);
	assert_int_equal(h[0].len, 60);
	assert_int_equal(h[1].caplen, XG_SAMPLE_SNAP);
	assert_int_equal(h[1].len, 160);
	assert_memory_equal(data[1], x.data, XG_SAMPLE_SNAP);

	/* SIGHUP after logrotate moved the file: a new file, header and all. */
	assert_int_equal(xg_samples_pcap_reopen(s), 0);
	x = frame(3);
	xg_samples_add(s, &x, T0 + SEC(1), SEC(1700000002));
	assert_int_equal(read_pcap(path, h, data, 8), 3); /* appended */
	xg_samples_close(s);
	assert_int_equal(xg_samples_pcap_open(s, "/nonexistent/dir/x.pcap"),
			 -EIO);
	unlink(path);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_pcap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
