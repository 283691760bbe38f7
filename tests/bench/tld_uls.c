// SPDX-License-Identifier: GPL-2.0
/* key_get_vs_tld, uls's user half: TLD's user API on libuls (tld.h). */
#include <errno.h>
#include <linux/types.h>

#include "bench.h"
#include "bench_tld.h"

#include "tld.h"

TLD_DEFINE_KEY(bench_uls_tld, BENCH_TLD_NAME, sizeof(__u64));

int tld_uls_get(__u64 **p)
{
	int err = tld_key_err_or_zero(bench_uls_tld);

	if (err)
		return err;
	*p = tld_get_data(-1, bench_uls_tld);	/* map_fd: ignored */
	return *p ? 0 : -(errno ?: ENOENT);
}

void tld_uls_free(void)
{
	tld_free();
}
