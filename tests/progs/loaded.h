/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ULS_LOADED_H
#define ULS_LOADED_H

/* What check_loaded() in loaded.bpf.c returns. */
#define LOADED_NO_MODULE	1
#define LOADED_UNREGISTERED	2
#define LOADED_REGISTERED	3

#endif
