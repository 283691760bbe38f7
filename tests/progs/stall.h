/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ULS_STALL_H
#define ULS_STALL_H

/*
 * The ioctl command (sent to /dev/null) whose sleepable program copies 8
 * bytes from the ioctl's argument: a page that a userfaultfd answers only
 * when the test says so, which stalls every RCU Tasks Trace grace period.
 */
#define STALL_IOCTL_CMD 0x57A1
/*
 * The same, but the program first takes its group leader's uls region,
 * and stores STALL_MARK into it after the sleep.
 */
#define STALL_STORE_CMD 0x57A2
#define STALL_MARK 0x5354414c4c4d4b21ULL

#endif
