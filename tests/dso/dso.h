/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What each test library of tests/dso exports, under its own prefix
 * (dso_a_, dso_b_, dso_st_): a list of its keys, and its own view of
 * them, through the libuls it was linked with.
 */
#ifndef ULS_TEST_DSO_H
#define ULS_TEST_DSO_H

#include <stddef.h>
#include <stdint.h>

#define DSO_MAX_KEYS	8

struct dso_key {
	const char *name;
	uint32_t size;
};

/*
 * The functions, found with dlsym() as "<prefix>_<what>":
 *   int init(void): create the library's run-time keys (its
 *	ULS_DEFINE_KEY one exists since dlopen()); 0 or -errno
 *   int nkeys(const struct dso_key **keys): the library's keys
 *   void *ptr(int i): this thread's storage for key i, through the
 *	library's libuls (uls_key_get()), or NULL with errno
 *   int query(void **addr, size_t *len): uls_query() of its libuls
 */
struct dso_api {
	int (*init)(void);
	int (*nkeys)(const struct dso_key **keys);
	void *(*ptr)(int i);
	int (*query)(void **addr, size_t *len);
};

#endif
