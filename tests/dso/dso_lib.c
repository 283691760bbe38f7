// SPDX-License-Identifier: GPL-2.0
/*
 * A test library that uses keys, built three times (tests/dso, Makefile):
 * DSO_PREFIX dso_a and dso_b, linked with libuls.so.0; dso_st, linked
 * with libuls.a, its own static hidden copy. One static key from
 * ULS_DEFINE_KEY, created when the library is loaded, and keys created at
 * run time by init(), of sizes that differ between the libraries, and one
 * name all of them share with the program ("dso.shared", 8 bytes).
 */
#include "dso.h"
#include "uls.h"

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define API(what) CAT(DSO_PREFIX, what)
#define EXPORT __attribute__((visibility("default")))
#define STR_(x) #x
#define STR(x) STR_(x)

ULS_DEFINE_KEY(def_key, STR(DSO_PREFIX) ".def", 8);

static struct dso_key keys[] = {
	{ STR(DSO_PREFIX) ".def", 8 },
	{ STR(DSO_PREFIX) ".small", DSO_SMALL },
	{ STR(DSO_PREFIX) ".big", DSO_BIG },
	{ "dso.shared", 8 },
};
#define NKEYS (int)(sizeof(keys) / sizeof(keys[0]))
static uls_key_t k[NKEYS];

EXPORT int API(init)(void)
{
	k[0] = def_key;
	if (uls_key_is_err(def_key))
		return uls_key_err(def_key);
	for (int i = 1; i < NKEYS; i++) {
		k[i] = uls_key_create(keys[i].name, keys[i].size);
		if (uls_key_is_err(k[i]))
			return uls_key_err(k[i]);
	}
	return 0;
}

EXPORT int API(nkeys)(const struct dso_key **out)
{
	*out = keys;
	return NKEYS;
}

EXPORT void *API(ptr)(int i)
{
	return uls_key_get(k[i]);
}

EXPORT int API(query)(void **addr, size_t *len)
{
	return uls_query(addr, len);
}
