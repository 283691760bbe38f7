/* SPDX-License-Identifier: GPL-2.0 */
/* The commands of ulsctl, one file each. */
#ifndef ULSCTL_H
#define ULSCTL_H

/* ulsctl events ...: @argv holds what follows "events". */
int cmd_events(int argc, char **argv);

#endif
