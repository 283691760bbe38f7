/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ULS_STRESS_H
#define ULS_STRESS_H

/*
 * What stress.bpf.c stores in the first 16 bytes of every region it finds:
 * the mark, then a counter. Regions of the stress test start on 64-byte
 * boundaries, so bytes 16..63 of every 64 are never BPF's to write.
 */
#define STRESS_MARK 0x5354524553534d4bULL
#define STRESS_HEAD 16
#define STRESS_STRIDE 64
/* The ioctl command (sent to /dev/null) its sleepable program reacts to. */
#define STRESS_IOCTL_CMD 0x75C7

#endif
