/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON writer, after bpftool's json_writer: the caller opens and
 * closes objects and arrays, and names each member of an object before
 * its value; the writer puts the commas, the quotes and the escapes, and
 * with pretty output the new lines and indentation.
 */
#ifndef ULSCTL_JSON_H
#define ULSCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer;

/* NULL when out of memory. */
struct json_writer *jsonw_new(FILE *f);
/* Ends the output with a new line; *self becomes NULL. */
void jsonw_destroy(struct json_writer **self);
void jsonw_pretty(struct json_writer *self, bool on);

void jsonw_start_object(struct json_writer *self);
void jsonw_end_object(struct json_writer *self);
void jsonw_start_array(struct json_writer *self);
void jsonw_end_array(struct json_writer *self);

/* The name of the next member of the object being written. */
void jsonw_name(struct json_writer *self, const char *name);

/* Values, as a member (after jsonw_name()) or an element of an array. */
void jsonw_string(struct json_writer *self, const char *s);
void jsonw_printf_string(struct json_writer *self, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void jsonw_uint(struct json_writer *self, uint64_t v);
void jsonw_int(struct json_writer *self, int64_t v);
void jsonw_bool(struct json_writer *self, bool v);
void jsonw_null(struct json_writer *self);

/* A member, name and value. */
void jsonw_string_field(struct json_writer *self, const char *name, const char *s);
void jsonw_uint_field(struct json_writer *self, const char *name, uint64_t v);
void jsonw_int_field(struct json_writer *self, const char *name, int64_t v);
void jsonw_bool_field(struct json_writer *self, const char *name, bool v);
void jsonw_null_field(struct json_writer *self, const char *name);

#endif
