// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON writer of json.h. Strings are written as UTF-8, as they come,
 * with the characters JSON does not allow raw escaped: quote, backslash,
 * and every control character (\n, \t and so on by name, the others as
 * \u00XX). It does not check that the caller nests correctly; a depth of
 * more than 64 levels is the caller's bug.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "json.h"

#define JSONW_DEPTH_MAX	64

struct json_writer {
	FILE *out;
	unsigned int depth;
	bool pretty;
	/* At each depth: nothing written yet in this object or array. */
	bool first[JSONW_DEPTH_MAX + 1];
	/* A name was just written: its value follows on the same line. */
	bool after_name;
};

struct json_writer *jsonw_new(FILE *f)
{
	struct json_writer *self = calloc(1, sizeof(*self));

	if (!self)
		return NULL;
	self->out = f;
	self->first[0] = true;
	return self;
}

void jsonw_destroy(struct json_writer **self)
{
	if (!*self)
		return;
	fputc('\n', (*self)->out);
	fflush((*self)->out);
	free(*self);
	*self = NULL;
}

void jsonw_pretty(struct json_writer *self, bool on)
{
	self->pretty = on;
}

static void indent(struct json_writer *self)
{
	unsigned int i;

	if (!self->pretty)
		return;
	fputc('\n', self->out);
	for (i = 0; i < self->depth; i++)
		fputs("    ", self->out);
}

/* Before any value or name: the comma, and the line it goes on. */
static void separate(struct json_writer *self)
{
	if (self->after_name) {
		self->after_name = false;
		return;
	}
	if (!self->first[self->depth])
		fputc(',', self->out);
	if (self->depth)
		indent(self);
	self->first[self->depth] = false;
}

static void quote(struct json_writer *self, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', self->out);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", self->out);
			break;
		case '\\':
			fputs("\\\\", self->out);
			break;
		case '\b':
			fputs("\\b", self->out);
			break;
		case '\f':
			fputs("\\f", self->out);
			break;
		case '\n':
			fputs("\\n", self->out);
			break;
		case '\r':
			fputs("\\r", self->out);
			break;
		case '\t':
			fputs("\\t", self->out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(self->out, "\\u%04x", *p);
			else
				fputc(*p, self->out);
		}
	}
	fputc('"', self->out);
}

static void open_nest(struct json_writer *self, char c)
{
	separate(self);
	fputc(c, self->out);
	if (self->depth < JSONW_DEPTH_MAX)
		self->depth++;
	self->first[self->depth] = true;
}

static void close_nest(struct json_writer *self, char c)
{
	bool empty = self->first[self->depth];

	if (self->depth)
		self->depth--;
	if (!empty)
		indent(self);
	fputc(c, self->out);
}

void jsonw_start_object(struct json_writer *self)
{
	open_nest(self, '{');
}

void jsonw_end_object(struct json_writer *self)
{
	close_nest(self, '}');
}

void jsonw_start_array(struct json_writer *self)
{
	open_nest(self, '[');
}

void jsonw_end_array(struct json_writer *self)
{
	close_nest(self, ']');
}

void jsonw_name(struct json_writer *self, const char *name)
{
	separate(self);
	quote(self, name);
	fputs(self->pretty ? ": " : ":", self->out);
	self->after_name = true;
}

void jsonw_string(struct json_writer *self, const char *s)
{
	separate(self);
	quote(self, s);
}

void jsonw_printf_string(struct json_writer *self, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	jsonw_string(self, n < 0 ? "(out of memory)" : s);
	free(s);
}

void jsonw_uint(struct json_writer *self, uint64_t v)
{
	separate(self);
	fprintf(self->out, "%llu", (unsigned long long)v);
}

void jsonw_int(struct json_writer *self, int64_t v)
{
	separate(self);
	fprintf(self->out, "%lld", (long long)v);
}

void jsonw_bool(struct json_writer *self, bool v)
{
	separate(self);
	fputs(v ? "true" : "false", self->out);
}

void jsonw_null(struct json_writer *self)
{
	separate(self);
	fputs("null", self->out);
}

void jsonw_string_field(struct json_writer *self, const char *name, const char *s)
{
	jsonw_name(self, name);
	jsonw_string(self, s);
}

void jsonw_uint_field(struct json_writer *self, const char *name, uint64_t v)
{
	jsonw_name(self, name);
	jsonw_uint(self, v);
}

void jsonw_int_field(struct json_writer *self, const char *name, int64_t v)
{
	jsonw_name(self, name);
	jsonw_int(self, v);
}

void jsonw_bool_field(struct json_writer *self, const char *name, bool v)
{
	jsonw_name(self, name);
	jsonw_bool(self, v);
}

void jsonw_null_field(struct json_writer *self, const char *name)
{
	jsonw_name(self, name);
	jsonw_null(self);
}
