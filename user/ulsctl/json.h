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

typedef struct json_writer json_writer_t;

/* NULL when out of memory. */
json_writer_t *jsonw_new(FILE *f);
/* Ends the output with a new line; *self becomes NULL. */
void jsonw_destroy(json_writer_t **self);
void jsonw_pretty(json_writer_t *self, bool on);

void jsonw_start_object(json_writer_t *self);
void jsonw_end_object(json_writer_t *self);
void jsonw_start_array(json_writer_t *self);
void jsonw_end_array(json_writer_t *self);

/* The name of the next member of the object being written. */
void jsonw_name(json_writer_t *self, const char *name);

/* Values, as a member (after jsonw_name()) or an element of an array. */
void jsonw_string(json_writer_t *self, const char *s);
void jsonw_printf_string(json_writer_t *self, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void jsonw_uint(json_writer_t *self, uint64_t v);
void jsonw_int(json_writer_t *self, int64_t v);
void jsonw_bool(json_writer_t *self, bool v);
void jsonw_null(json_writer_t *self);

/* A member, name and value. */
void jsonw_string_field(json_writer_t *self, const char *name, const char *s);
void jsonw_uint_field(json_writer_t *self, const char *name, uint64_t v);
void jsonw_int_field(json_writer_t *self, const char *name, int64_t v);
void jsonw_bool_field(json_writer_t *self, const char *name, bool v);
void jsonw_null_field(json_writer_t *self, const char *name);

#endif
