/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal JSON reader for the tests of what programs print (ulsctl -j):
 * the guest has no JSON tool. It checks a text against RFC 8259's grammar
 * and finds values by path: "a.b" is member b of member a, "2.tid" member
 * tid of an array's third element; "" is the whole text.
 */
#ifndef ULS_TESTS_JSON_H
#define ULS_TESTS_JSON_H

#include <stddef.h>

/*
 * 0 when @s is exactly one JSON value, white space around it allowed;
 * -EINVAL if not, with *@at (if not NULL) where it went wrong.
 */
int t_json_check(const char *s, const char **at);

/*
 * The text of the value at @path into @buf: a string without its quotes
 * (escapes left as they are), anything else as written. 0, -ENOENT if
 * there is no such value, -EINVAL if @s is not JSON, -ENOSPC if @buf is
 * too small.
 */
int t_json_get(const char *s, const char *path, char *buf, size_t size);

/* Members or elements of the object or array at @path, or -errno. */
int t_json_count(const char *s, const char *path);

#endif
