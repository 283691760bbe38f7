/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * uls's version, the one place it is written: the Makefile, dkms.conf
 * (through the Makefile and dh_dkms), the module's MODULE_VERSION, libuls's
 * file name and the Debian packages all take it from here.
 *
 * libuls keeps its soname, libuls.so.ULS_VERSION_MAJOR, for as long as the
 * major version does not change: a minor version only adds (symbols, in a
 * new node of libuls.map), a patch changes nothing that callers see.
 */
#ifndef _ULS_VERSION_H
#define _ULS_VERSION_H

#define ULS_VERSION_MAJOR	0
#define ULS_VERSION_MINOR	1
#define ULS_VERSION_PATCH	0

#define ULS__STR(x)		#x
#define ULS__XSTR(x)		ULS__STR(x)
/* "MAJOR.MINOR.PATCH" */
#define ULS_VERSION		ULS__XSTR(ULS_VERSION_MAJOR) "."		\
				ULS__XSTR(ULS_VERSION_MINOR) "."		\
				ULS__XSTR(ULS_VERSION_PATCH)

/* Comparable as a number: #if ULS_VERSION_CODE >= ULS_VERSION_OF(0, 2, 0) */
#define ULS_VERSION_OF(major, minor, patch)					\
	(((major) << 16) | ((minor) << 8) | (patch))
#define ULS_VERSION_CODE							\
	ULS_VERSION_OF(ULS_VERSION_MAJOR, ULS_VERSION_MINOR, ULS_VERSION_PATCH)

#endif /* _ULS_VERSION_H */
