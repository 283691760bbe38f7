// SPDX-License-Identifier: GPL-2.0
/*
 * ulsctl info: what ULS_IOC_INFO says (ABI version, features, limits, live
 * counters); ulsctl status: whether a program can use uls now, /dev/uls
 * and the kfuncs, as its exit code.
 */
#include <stdio.h>

#include "uls.h"
#include "ulsctl.h"

/* ULS_FEAT_* bits by name, in bit order. */
static const char *const feature_names[] = {
	"multi-page", "get_at", "exit-exec", "charged", "freed-seq", "excl",
	"key_get", "list", "monitor",
};

static void print_features(__u64 features)
{
	unsigned int bit;

	for (bit = 0; bit < 64; bit++) {
		if (!(features & (1ULL << bit)))
			continue;
		/* A newer module's bits, by number. */
		if (bit < ARRAY_SIZE(feature_names)) {
			if (json_output)
				jsonw_string(json_wtr, feature_names[bit]);
			else
				printf(" %s", feature_names[bit]);
		} else if (json_output) {
			jsonw_printf_string(json_wtr, "bit%u", bit);
		} else {
			printf(" bit%u", bit);
		}
	}
}

static const struct {
	const char *name;
	size_t off;
} counters[] = {
#define C(name, field) { name, __builtin_offsetof(struct uls_info, field) }
	C("max_len", max_len),
	C("page_size", page_size),
	C("entries", nr_entries),
	C("page_pins", nr_pinned_pages),
	C("charged_pages", nr_charged_pages),
	C("max_pinned_pages", max_pinned_pages),
	C("retired_seq", retired_seq),
	C("freed_seq", freed_seq),
#undef C
};

int cmd_info(int argc, char **argv)
{
	struct uls_info info;
	size_t i;
	int err;

	if (argc)
		return p_usage("info: takes no arguments");
	err = uls_info(&info);
	if (err)
		return p_err("info: %s", uls_strerror(err));
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_uint_field(json_wtr, "abi_version", info.abi_version);
		jsonw_name(json_wtr, "features");
		jsonw_start_array(json_wtr);
		print_features(info.features);
		jsonw_end_array(json_wtr);
		jsonw_uint_field(json_wtr, "feature_bits", info.features);
	} else {
		printf("%-17s%u\n", "abi_version", info.abi_version);
		printf("%-16s", "features");
		print_features(info.features);
		printf("\n");
	}
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		__u64 v = *(const __u64 *)((const char *)&info + counters[i].off);

		if (json_output)
			jsonw_uint_field(json_wtr, counters[i].name, v);
		else
			printf("%-17s%llu\n", counters[i].name, (unsigned long long)v);
	}
	if (json_output)
		jsonw_end_object(json_wtr);
	return EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	int fd;
	bool kfuncs, ok;

	if (argc)
		return p_usage("status: takes no arguments");
	fd = uls_fd();
	kfuncs = uls_module_loaded();
	ok = fd >= 0 && kfuncs;
	if (json_output) {
		jsonw_start_object(json_wtr);
		jsonw_bool_field(json_wtr, "usable", ok);
		jsonw_name(json_wtr, "device");
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "path", ULS_DEVICE_PATH);
		jsonw_bool_field(json_wtr, "usable", fd >= 0);
		if (fd < 0)
			jsonw_string_field(json_wtr, "error", uls_strerror(fd));
		jsonw_end_object(json_wtr);
		jsonw_name(json_wtr, "kfuncs");
		jsonw_start_object(json_wtr);
		jsonw_string_field(json_wtr, "btf", "/sys/kernel/btf/uls");
		jsonw_bool_field(json_wtr, "usable", kfuncs);
		jsonw_end_object(json_wtr);
		jsonw_end_object(json_wtr);
	} else {
		printf("%-17s%s\n", "device", fd >= 0 ? ULS_DEVICE_PATH : uls_strerror(fd));
		printf("%-17s%s\n", "kfuncs", kfuncs ?
		       "available (/sys/kernel/btf/uls)" : "missing: module not loaded");
	}
	return ok ? EXIT_OK : EXIT_ERR;
}
