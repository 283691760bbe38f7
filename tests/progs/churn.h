/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ULS_CHURN_H
#define ULS_CHURN_H

/* What churn.bpf.c stores at byte 0 of the leader's region. */
#define CHURN_MARK 0x6368726eULL
/* The ioctl command (sent to /dev/null) its sleepable program reacts to. */
#define CHURN_IOCTL_CMD 0x75C6

#endif
