/* SPDX-License-Identifier: GPL-2.0 */
/* Counters and parameters of the module, pinned memory of the process. */
#ifndef ULS_TEST_COUNTERS_H
#define ULS_TEST_COUNTERS_H

/* Module parameters (/sys/module/uls/parameters/NAME): -1 / -errno */
long read_param(const char *name);
int write_param(const char *name, const char *val);

/* A counter of /sys/class/misc/uls/stats/, or -1. */
long uls_stat(const char *name);
/* Wait until it reads @value; 0 or -ETIMEDOUT (and what it read). */
int wait_stat(const char *name, long value, int timeout_ms);

/* VmPin of /proc/self/status in kB (mm->pinned_vm), or -1. */
long vm_pin_kb(void);

#endif /* ULS_TEST_COUNTERS_H */
