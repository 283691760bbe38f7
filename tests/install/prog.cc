// SPDX-License-Identifier: GPL-2.0
// uls.h and uls/tld.h from C++: prog.c, compiled as C++.
#include "prog.c"
