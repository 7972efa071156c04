// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Blocklist file formats. Every line is one of: blank or comment ('#' or
 * ';' to the end of the line, so Spamhaus' "1.2.3.0/24 ; SBL123" is its
 * prefix); an address or CIDR (FireHOL .netset, plain lists); an ipset
 * "add SET ENTRY [options]" line ("create" lines carry no entry); or a
 * Spamhaus JSON line {"cidr": ...} (json-c, as the DROP lists are served
 * since 2024). Anything else is a bad line, reported with its number: a
 * list that half parses is more likely a broken download than a list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "blocklist.h"
#include "common.h"
#include "parse.h"
#include "prefixes.h"

static __thread char why_buf[200];

static const char *why_fmt(const char *fmt, const char *tok)
{
	snprintf(why_buf, sizeof(why_buf), fmt, tok);
	return why_buf;
}

bool xg_prefix_covers_v4(const struct xg_lpm_key *k)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	__u32 bits = k->prefixlen, i;

	/* /96 itself is 0.0.0.0/0: all of IPv4, as asked. */
	if (bits >= 96)
		return false;
	for (i = 0; i < bits; i++) {
		__u8 m = 0x80 >> (i % 8);

		if ((k->a[i / 8] & m) != (mapped[i / 8] & m))
			return false;
	}
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/* Next whitespace-separated token of *p, NUL-terminated; NULL at the end. */
static char *token(char **p)
{
	char *s = *p, *t;

	while (*s && is_space(*s))
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	t = s;
	while (*s && !is_space(*s))
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return t;
}

static int entry(const char *tok, struct xg_lpm_key *k, const char **why)
{
	char pfx[XG_PREFIX_STRLEN];

	if (strchr(tok, '-')) {
		*why = why_fmt(
			"'%.60s': address ranges are not supported (write CIDR prefixes)",
			tok);
		return -EINVAL;
	}
	if (xg_parse_prefix(tok, k)) {
		snprintf(why_buf, sizeof(why_buf), "'%.60s': %s", tok,
			 xg_parse_error());
		*why = why_buf;
		return -EINVAL;
	}
	if (xg_prefix_covers_v4(k)) {
		xg_prefix_str(k, pfx, sizeof(pfx));
		*why = why_fmt(
			"%s covers all of IPv4 too (::ffff:0:0/96); refusing it",
			pfx);
		return -EINVAL;
	}
	return 0;
}

static int json_line(const char *line, struct xg_lpm_key *k, const char **why)
{
	json_object *o = json_tokener_parse(line), *v;
	int ret = -EINVAL;

	*why = "not valid JSON";
	if (!o || !json_object_is_type(o, json_type_object))
		goto out;
	if (json_object_object_get_ex(o, "cidr", &v) &&
	    json_object_is_type(v, json_type_string)) {
		ret = entry(json_object_get_string(v), k, why);
	} else if (json_object_object_get_ex(o, "type", &v) &&
		   json_object_is_type(v, json_type_string) &&
		   !strcmp(json_object_get_string(v), "metadata")) {
		ret = 1;
	} else {
		*why = "JSON line without a \"cidr\" string";
	}
out:
	json_object_put(o);
	return ret;
}

/* "add SET ENTRY [timeout N] [comment ...]": the entry, nothing else. */
static int ipset_line(char *rest, struct xg_lpm_key *k, const char **why)
{
	char *set = token(&rest), *tok = token(&rest), *opt;

	if (!set || !tok) {
		*why = "ipset 'add' line without a set name and an entry";
		return -EINVAL;
	}
	if (strchr(tok, ',')) {
		*why = why_fmt(
			"'%.60s': only address and net entries can be loaded (no ports or interfaces)",
			tok);
		return -EINVAL;
	}
	while ((opt = token(&rest))) {
		if (!strcmp(opt, "nomatch")) {
			*why = why_fmt(
				"'%.60s nomatch': exceptions cannot be loaded as bans (use 'xdpguard allow')",
				tok);
			return -EINVAL;
		}
	}
	return entry(tok, k, why);
}

int xg_blocklist_line(char *line, struct xg_lpm_key *k, const char **why)
{
	char *p = line, *tok, *c;

	while (*p && is_space(*p))
		p++;
	if (*p == '{')
		return json_line(p, k, why);
	c = strpbrk(p, "#;");
	if (c)
		*c = '\0';
	tok = token(&p);
	if (!tok)
		return 1;
	if (!strcmp(tok, "create"))
		return 1;
	if (!strcmp(tok, "add"))
		return ipset_line(p, k, why);
	if (entry(tok, k, why))
		return -EINVAL;
	tok = token(&p);
	if (tok) {
		*why = why_fmt(
			"unexpected '%.60s' after the address (one address or CIDR per line)",
			tok);
		return -EINVAL;
	}
	return 0;
}

static int push(struct xg_blocklist *bl, const struct xg_lpm_key *k)
{
	if (bl->n == bl->cap) {
		size_t cap = bl->cap * 2 + 1024;
		void *p = realloc(bl->keys, cap * sizeof(*bl->keys));

		if (!p)
			return -ENOMEM;
		bl->keys = p;
		bl->cap = cap;
	}
	bl->keys[bl->n++] = *k;
	return 0;
}

static void sort_unique(struct xg_blocklist *bl)
{
	size_t i, j;

	if (!bl->n)
		return;
	qsort(bl->keys, bl->n, sizeof(*bl->keys), xg_lpm_key_cmp);
	for (i = 1, j = 1; i < bl->n; i++) {
		if (xg_lpm_key_cmp(&bl->keys[i], &bl->keys[j - 1]))
			bl->keys[j++] = bl->keys[i];
		else
			bl->dups++;
	}
	bl->n = j;
}

int xg_blocklist_read(FILE *f, const char *name, struct xg_blocklist *bl,
		      xg_bad_line_fn fn, void *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err = 0;

	memset(bl, 0, sizeof(*bl));
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct xg_lpm_key k;
		const char *why = NULL;
		int r;

		bl->lines++;
		if (len > XG_BLOCKLIST_LINE_MAX) {
			r = -EINVAL;
			why = "line too long";
		} else if (memchr(line, '\0', len)) {
			r = -EINVAL;
			why = "NUL byte in the line (not a text file?)";
		} else {
			r = xg_blocklist_line(line, &k, &why);
		}
		if (r < 0) {
			bl->bad++;
			if (fn)
				fn(name, bl->lines, why, ctx);
		} else if (r == 0) {
			err = push(bl, &k);
			if (err)
				break;
		}
	}
	if (!err && ferror(f))
		err = -EIO;
	free(line);
	if (err) {
		xg_blocklist_free(bl);
		return err;
	}
	sort_unique(bl);
	return 0;
}

int xg_blocklist_load(const char *path, struct xg_blocklist *bl,
		      xg_bad_line_fn fn, void *ctx)
{
	FILE *f = fopen(path, "r");
	int err;

	if (!f) {
		err = -errno;
		xg_err("cannot read blocklist %s: %s", path, strerror(errno));
		return err;
	}
	err = xg_blocklist_read(f, path, bl, fn, ctx);
	if (err)
		xg_err("cannot read blocklist %s: %s", path, strerror(-err));
	fclose(f);
	return err;
}

void xg_blocklist_free(struct xg_blocklist *bl)
{
	free(bl->keys);
	memset(bl, 0, sizeof(*bl));
}
