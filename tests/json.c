// SPDX-License-Identifier: GPL-2.0
/*
 * json.h's reader: a recursive descent over the text, which keeps the
 * path of the value it is in, and notes where the value asked for starts
 * and ends and how many members or elements it has.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define DEPTH_MAX	64
#define PATH_MAX_LEN	256

struct reader {
	const char *p;
	const char *target;	/* NULL: only check */
	char path[PATH_MAX_LEN];
	size_t path_len;
	int depth;
	const char *found, *found_end;
	int count;		/* of the target's members or elements */
};

static void skip_ws(struct reader *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

static bool at_target(const struct reader *r)
{
	return r->target && !strcmp(r->path, r->target);
}

/* Into the path: member @name (@len bytes) or element @index. */
static size_t path_push(struct reader *r, const char *name, size_t len)
{
	size_t old = r->path_len, dot = old ? 1 : 0;

	if (old + dot + len >= sizeof(r->path))
		len = sizeof(r->path) - old - dot - 1;
	if (dot)
		r->path[old] = '.';
	memcpy(r->path + old + dot, name, len);
	r->path_len = old + dot + len;
	r->path[r->path_len] = 0;
	return old;
}

static void path_pop(struct reader *r, size_t old)
{
	r->path_len = old;
	r->path[old] = 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool parse_string(struct reader *r)
{
	if (*r->p != '"')
		return false;
	for (r->p++; *r->p != '"'; r->p++) {
		if ((unsigned char)*r->p < 0x20)
			return false;	/* the end of the text, or a raw control */
		if (*r->p != '\\')
			continue;
		r->p++;
		if (*r->p == 'u') {
			if (!is_hex(r->p[1]) || !is_hex(r->p[2]) || !is_hex(r->p[3]) ||
			    !is_hex(r->p[4]))
				return false;
			r->p += 4;
		} else if (!*r->p || !strchr("\"\\/bfnrt", *r->p)) {
			return false;
		}
	}
	r->p++;
	return true;
}

static bool parse_number(struct reader *r)
{
	if (*r->p == '-')
		r->p++;
	if (*r->p == '0')
		r->p++;
	else if (is_digit(*r->p))
		while (is_digit(*r->p))
			r->p++;
	else
		return false;
	if (*r->p == '.') {
		r->p++;
		if (!is_digit(*r->p))
			return false;
		while (is_digit(*r->p))
			r->p++;
	}
	if (*r->p == 'e' || *r->p == 'E') {
		r->p++;
		if (*r->p == '+' || *r->p == '-')
			r->p++;
		if (!is_digit(*r->p))
			return false;
		while (is_digit(*r->p))
			r->p++;
	}
	return true;
}

static bool parse_value(struct reader *r);

/*
 * After a member of an object or an array, parsed (ok) or not: 1 at the
 * closing bracket, 0 on an error, -1 past a comma, with more to come.
 */
static int after_member(struct reader *r, bool ok, bool target, char close)
{
	if (!ok)
		return 0;
	if (target)
		r->count++;
	skip_ws(r);
	if (*r->p == close) {
		r->p++;
		return 1;
	}
	if (*r->p != ',')
		return 0;
	r->p++;
	return -1;
}

static bool parse_object(struct reader *r)
{
	bool target = at_target(r);

	r->p++;
	skip_ws(r);
	if (*r->p == '}') {
		r->p++;
		return true;
	}
	for (;;) {
		const char *name = r->p + 1;
		size_t old;
		bool ok;
		int end;

		if (!parse_string(r))
			return false;
		old = path_push(r, name, r->p - 1 - name);
		skip_ws(r);
		if (*r->p != ':')
			return false;
		r->p++;
		ok = parse_value(r);
		path_pop(r, old);
		end = after_member(r, ok, target, '}');
		if (end >= 0)
			return end;
		skip_ws(r);
	}
}

static bool parse_array(struct reader *r)
{
	bool target = at_target(r);
	int i;

	r->p++;
	skip_ws(r);
	if (*r->p == ']') {
		r->p++;
		return true;
	}
	for (i = 0;; i++) {
		char index[16];
		size_t old;
		bool ok;
		int end;

		snprintf(index, sizeof(index), "%d", i);
		old = path_push(r, index, strlen(index));
		ok = parse_value(r);
		path_pop(r, old);
		end = after_member(r, ok, target, ']');
		if (end >= 0)
			return end;
	}
}

static bool parse_value(struct reader *r)
{
	const char *start;
	bool ok;

	skip_ws(r);
	start = r->p;
	if (++r->depth > DEPTH_MAX)
		return false;
	switch (*r->p) {
	case '{':
		ok = parse_object(r);
		break;
	case '[':
		ok = parse_array(r);
		break;
	case '"':
		ok = parse_string(r);
		break;
	case 't':
		ok = !strncmp(r->p, "true", 4) && (r->p += 4);
		break;
	case 'f':
		ok = !strncmp(r->p, "false", 5) && (r->p += 5);
		break;
	case 'n':
		ok = !strncmp(r->p, "null", 4) && (r->p += 4);
		break;
	default:
		ok = parse_number(r);
	}
	r->depth--;
	if (ok && at_target(r)) {
		r->found = start;
		r->found_end = r->p;
	}
	return ok;
}

static int run(struct reader *r, const char *s, const char *target)
{
	memset(r, 0, sizeof(*r));
	r->p = s;
	r->target = target;
	if (!parse_value(r))
		return -EINVAL;
	skip_ws(r);
	return *r->p ? -EINVAL : 0;
}

int t_json_check(const char *s, const char **at)
{
	struct reader r;
	int err = run(&r, s, NULL);

	if (at)
		*at = r.p;
	return err;
}

int t_json_get(const char *s, const char *path, char *buf, size_t size)
{
	struct reader r;
	const char *b, *e;
	int err = run(&r, s, path);

	if (err)
		return err;
	if (!r.found)
		return -ENOENT;
	b = r.found;
	e = r.found_end;
	if (*b == '"') {
		b++;
		e--;
	}
	if ((size_t)(e - b) >= size)
		return -ENOSPC;
	memcpy(buf, b, e - b);
	buf[e - b] = 0;
	return 0;
}

int t_json_count(const char *s, const char *path)
{
	struct reader r;
	int err = run(&r, s, path);

	if (err)
		return err;
	if (!r.found)
		return -ENOENT;
	if (*r.found != '{' && *r.found != '[')
		return -EINVAL;
	return r.count;
}
