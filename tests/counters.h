/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters and parameters of the module, pinned memory of the process;
 * each a value >= 0, or a negative errno.
 */
#ifndef ULS_TEST_COUNTERS_H
#define ULS_TEST_COUNTERS_H

/* Module parameters (/sys/module/uls/parameters/NAME). */
long t_param(const char *name);
int t_set_param(const char *name, const char *val);

/* A counter of /sys/class/misc/uls/stats/. */
long t_stat(const char *name);
/* Wait until it reads @value: 0, or -ETIMEDOUT (and what it read). */
int t_wait_stat(const char *name, long value, int timeout_ms);

/*
 * Raise /proc/sys/kernel/@name (pid_max, threads-max) to @want if it is
 * lower: its old value, to give t_restore_sysctl(), or -1 if it was left
 * as it was (already enough, or not writable).
 */
long t_raise_sysctl(const char *name, long want);
/* Set it back to @old; nothing for -1. */
void t_restore_sysctl(const char *name, long old);

/* VmPin of /proc/self/status in kB (mm->pinned_vm). */
long t_vm_pin_kb(void);

#endif /* ULS_TEST_COUNTERS_H */
