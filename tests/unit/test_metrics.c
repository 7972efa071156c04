// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests of the Prometheus text (user/metrics.c) and of the metrics listen
 * address (user/httpd.c): exact lines for known figures, every line in the
 * exposition grammar, families declared once before their samples,
 * cumulative histograms, and promtool's verdict when it is installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "httpd.h"
#include "metrics.h"

static char *render(const struct xg_metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(xg_metrics_render(m, f), 0);
	fclose(f);
	return buf;
}

static void sample_figures(struct xg_metrics *m)
{
	xg_metrics_init(m);
	m->c[XG_CNT_PASS] = (struct xg_counter){ 1000, 64000 };
	m->c[XG_CNT_MALFORMED] = (struct xg_counter){ 3, 180 };
	m->c[XG_CNT_DROP_BASE + XG_REASON_SYN_FLOOD] =
		(struct xg_counter){ 123456789012ULL, 7901234496768ULL };
	m->bans_active[XG_REASON_MANUAL] = 2;
	m->events[XG_EV_ALERT][XG_KIND_SYN_FLOOD_SPOOFED] = 4;
	m->events[XG_EV_BAN][XG_KIND_PORT_SCAN] = 7;
	m->map_entries[XG_M_SRC] = 42;
	m->map_max[XG_M_SRC] = 131072;
	xg_hist_observe(&m->poll, 0.0007);
	xg_hist_observe(&m->poll, 0.003);
	xg_hist_observe(&m->poll, 30); /* beyond every bound */
	xg_hist_observe(&m->ttb, 0.4);
	m->ncpu = 2;
	m->softirq[0] = 0.5;
	m->softirq[1] = -1; /* unknown: left out */
	m->busy[0] = 1;
	m->busy[1] = 0.25;
	m->pressure_cpus = 1;
	m->start_time = 1700000000.5;
	m->admit_refused = 9876543210ULL;
	m->admit_heavy = 17;
}

static void has_line(const char *text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want))
		fail_msg("missing line: %s", line);
}

static void test_values(void **state)
{
	struct xg_metrics m;
	char *t;

	sample_figures(&m);
	t = render(&m);
	has_line(
		t,
		"xdpguard_packets_total{verdict=\"pass\",reason=\"counted\"} 1000");
	has_line(
		t,
		"xdpguard_packets_total{verdict=\"drop\",reason=\"syn_flood\"} 123456789012");
	has_line(
		t,
		"xdpguard_bytes_total{verdict=\"drop\",reason=\"syn_flood\"} 7901234496768");
	/* Every series exists from the start, at 0. */
	has_line(
		t,
		"xdpguard_packets_total{verdict=\"drop\",reason=\"blocklist\"} 0");
	has_line(t, "xdpguard_parse_failures_total 3");
	has_line(t, "xdpguard_bans_active{reason=\"manual\"} 2");
	has_line(t, "xdpguard_alerts_total{kind=\"syn_flood_spoofed\"} 4");
	has_line(t, "xdpguard_bans_total{kind=\"port_scan\"} 7");
	has_line(t, "xdpguard_map_entries{map=\"src_stats\"} 42");
	has_line(t, "xdpguard_map_max_entries{map=\"src_stats\"} 131072");
	has_line(t, "xdpguard_poll_duration_seconds_bucket{le=\"0.0005\"} 0");
	has_line(t, "xdpguard_poll_duration_seconds_bucket{le=\"0.001\"} 1");
	has_line(t, "xdpguard_poll_duration_seconds_bucket{le=\"0.005\"} 2");
	has_line(t, "xdpguard_poll_duration_seconds_bucket{le=\"2.5\"} 2");
	has_line(t, "xdpguard_poll_duration_seconds_bucket{le=\"+Inf\"} 3");
	has_line(t, "xdpguard_poll_duration_seconds_count 3");
	has_line(t, "xdpguard_poll_duration_seconds_sum 30.0037");
	has_line(t, "xdpguard_time_to_ban_seconds_bucket{le=\"0.5\"} 1");
	has_line(t, "xdpguard_cpu_softirq_ratio{cpu=\"0\"} 0.5");
	has_line(t, "xdpguard_cpu_busy_ratio{cpu=\"1\"} 0.25");
	has_line(t, "xdpguard_host_pressure_cpus 1");
	has_line(t, "xdpguard_admission_refused_packets_total 9876543210");
	has_line(t, "xdpguard_admission_over_budget_total 17");
	has_line(t, "xdpguard_start_time_seconds 1700000000.5");
	has_line(t, "# TYPE xdpguard_packets_total counter");
	has_line(t, "# TYPE xdpguard_poll_duration_seconds histogram");
	has_line(t, "# TYPE xdpguard_bans_active gauge");
	assert_null(strstr(t, "xdpguard_cpu_softirq_ratio{cpu=\"1\"}"));
	/* No drop for "reason none" ban slot is hidden either. */
	has_line(t,
		 "xdpguard_packets_total{verdict=\"drop\",reason=\"none\"} 0");
	free(t);
}

/*
 * The text format's grammar for a sample line (no timestamps), and the
 * rules promtool enforces: HELP and TYPE once per family, before its
 * samples; counters named _total; samples of a family contiguous.
 */
static void test_grammar(void **state)
{
	static const char *const sample_re =
		"^([a-zA-Z_:][a-zA-Z0-9_:]*)"
		"(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
		"(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*\\})?"
		" (-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$";
	char family[128] = "", type[32] = "", *t, *line, *save;
	char seen[64][128];
	int nseen = 0, i, samples = 0;
	struct xg_metrics m;
	regmatch_t mt[2];
	regex_t re;

	assert_int_equal(regcomp(&re, sample_re, REG_EXTENDED), 0);
	sample_figures(&m);
	t = render(&m);
	for (line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		size_t n;

		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s", family), 1);
			for (i = 0; i < nseen; i++)
				if (!strcmp(seen[i], family))
					fail_msg("family declared twice: %s",
						 family);
			assert_true(nseen < 64);
			strcpy(seen[nseen++], family);
			type[0] = '\0';
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(
				sscanf(line + 7, "%127s %31s", name, type), 2);
			assert_string_equal(name, family);
			assert_true(!strcmp(type, "counter") ||
				    !strcmp(type, "gauge") ||
				    !strcmp(type, "histogram"));
			if (!strcmp(type, "counter"))
				assert_non_null(strstr(family, "_total"));
			continue;
		}
		if (regexec(&re, line, 2, mt, 0))
			fail_msg("not a valid sample line: '%s'", line);
		n = mt[1].rm_eo - mt[1].rm_so;
		memcpy(name, line, n);
		name[n] = '\0';
		assert_true(type[0]); /* TYPE came first */
		if (!strcmp(type, "histogram")) {
			size_t fl = strlen(family);

			assert_memory_equal(name, family, fl);
			assert_true(!strcmp(name + fl, "_bucket") ||
				    !strcmp(name + fl, "_sum") ||
				    !strcmp(name + fl, "_count"));
		} else {
			assert_string_equal(name, family);
		}
		assert_int_equal(strncmp(name, "xdpguard_", 9), 0);
		samples++;
	}
	assert_true(samples > 50);
	regfree(&re);
	free(t);
}

/* promtool, from Debian's prometheus package, when installed. */
static void test_promtool(void **state)
{
	static const char *const tool = "/usr/bin/promtool";
	struct xg_metrics m;
	char cmd[128], *t;
	FILE *p;

	if (access(tool, X_OK)) {
		skip();
		return;
	}
	sample_figures(&m);
	t = render(&m);
	snprintf(cmd, sizeof(cmd), "%s check metrics >/dev/null 2>&1", tool);
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(t, p);
	assert_int_equal(pclose(p), 0);
	/* And promtool does fail on a broken text. */
	p = popen(cmd, "w");
	fputs("# TYPE x counter\nx{a=\"1} 1\n", p);
	assert_int_not_equal(pclose(p), 0);
	free(t);
}

static void test_escape(void **state)
{
	char buf[64];

	assert_string_equal(xg_metrics_escape("eth0", buf, sizeof(buf)),
			    "eth0");
	assert_string_equal(xg_metrics_escape("a\"b\\c\nd", buf, sizeof(buf)),
			    "a\\\"b\\\\c\\nd");
	/* Never cut an escape in half. */
	assert_string_equal(xg_metrics_escape("\"\"\"", buf, 5), "\\\"");
}

static void test_hist(void **state)
{
	static const double b[] = { 1, 2 };
	struct xg_hist h;

	xg_hist_init(&h, b, 2);
	xg_hist_observe(&h, 1); /* le is inclusive */
	xg_hist_observe(&h, 1.5);
	xg_hist_observe(&h, 3);
	assert_int_equal(h.counts[0], 1);
	assert_int_equal(h.counts[1], 1);
	assert_int_equal(h.count, 3);
	assert_true(h.sum == 5.5);
}

static void test_listen(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	static const char *const bad[] = {
		"",	    "0",
		"65536",    "x",
		"9100x",    "1.2.3:9100",
		"1.2.3.4:", ":9100",
		"::1:9100", "[::1]",
		"[::1]:",   "[1.2.3.4]:80",
		"[::1:80",  "host.example:80",
		"+80",	    "1.2.3.4:-1",
	};
	char a[INET6_ADDRSTRLEN];
	socklen_t len;
	size_t i;

	/* A bare port is loopback: never exposed unless asked. */
	assert_int_equal(xg_listen_parse("9100", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(ntohs(sin->sin_port), 9100);
	assert_int_equal(len, sizeof(*sin));
	assert_int_equal(xg_listen_parse("0.0.0.0:80", &ss, &len), 0);
	assert_int_equal(sin->sin_addr.s_addr, 0);
	assert_int_equal(ntohs(sin->sin_port), 80);
	assert_int_equal(xg_listen_parse("localhost:1", &ss, &len), 0);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(xg_listen_parse("[fd77::1]:65535", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(*sin6));
	assert_int_equal(ntohs(sin6->sin6_port), 65535);
	assert_string_equal(inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)),
			    "fd77::1");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (xg_listen_parse(bad[i], &ss, &len) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_true(strlen(xg_listen_error()) > 0);
	}
	xg_listen_parse("::1:9100", &ss, &len);
	assert_non_null(strstr(xg_listen_error(), "brackets"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),	 cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_promtool), cmocka_unit_test(test_escape),
		cmocka_unit_test(test_hist),	 cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
