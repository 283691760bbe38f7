/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's counters, one line each: adding one here makes its
 * ULS_STAT_* constant (uls.h), its file in /sys/class/misc/uls/stats/
 * and, for a failed registration, its errno's case in uls_stat_failed()
 * (stats.c). Like the kernel's bpf_types.h, this file is included once
 * for each of these, with both macros defined, and has no include guard;
 * it undefines them at its end.
 *
 *   ULS_STAT(NAME, file)		ULS_STAT_<NAME>, in stats/<file>
 *   ULS_STAT_FAILED(ERRNO, errno)	registrations that failed with
 *					-ERRNO: ULS_STAT_FAILED_<ERRNO>,
 *					in stats/failed_<errno>
 *
 * Gauges (entries, pinned_pages, charged_pages) drop back to 0 once every
 * registration is freed, monitors and monitor_bytes once every monitor
 * file is closed and unmapped; the others only grow. The file names are ABI:
 * tests and tools read them.
 */
ULS_STAT(ENTRIES, entries)		/* alive, and those being freed */
ULS_STAT(PINNED_PAGES, pinned_pages)	/* page pins held by entries */
ULS_STAT(CHARGED_PAGES, charged_pages)	/* distinct pages, all mms */
ULS_STAT(REGISTERED, registered)	/* successful registrations, ever */
ULS_STAT(UNREGISTERED, unregistered)
ULS_STAT(REPLACED, replaced)
ULS_STAT(RELEASED, released)		/* by closing the file */
ULS_STAT(EXITED, exited)
ULS_STAT(EXECED, execed)
ULS_STAT(KEY_WALKS, key_walks)		/* bpf_uls_key_get()'s walks */
ULS_STAT(MONITORS, monitors)		/* monitor files open now */
ULS_STAT(MONITOR_BYTES, monitor_bytes)	/* kernel memory they hold */
ULS_STAT_FAILED(EINVAL, einval)
ULS_STAT_FAILED(E2BIG, e2big)
ULS_STAT_FAILED(EOVERFLOW, eoverflow)
ULS_STAT_FAILED(EFAULT, efault)
ULS_STAT_FAILED(EPERM, eperm)
ULS_STAT_FAILED(ENOMEM, enomem)
ULS_STAT_FAILED(EOPNOTSUPP, eopnotsupp)
ULS_STAT_FAILED(EAGAIN, eagain)
ULS_STAT_FAILED(EBUSY, ebusy)
ULS_STAT(FAILED_OTHER, failed_other)	/* any other error */

#undef ULS_STAT
#undef ULS_STAT_FAILED
