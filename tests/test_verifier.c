// SPDX-License-Identifier: GPL-2.0
/*
 * The verifier tests: one per program tagged with progs/test_tags.h, in
 * the objects RUN_TESTS() names, as the kernel's test_loader.c runs the
 * programs of progs/ tagged with bpf_misc.h. What a program expects is
 * written on the program; this file only reads it, loads the program
 * alone and compares.
 */
#include <regex.h>
#include <stdlib.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "helpers.h"
#include "test.h"
#include "verifier_fail.skel.h"
#include "walk.skel.h"

#define MAX_MSGS 8

struct tagged_prog {
	struct uls_test test;		/* first: run() gets it */
	char name[96];			/* "verifier_<program>" */
	const char *object;
	const void *(*elf_bytes)(size_t *size);
	char prog[64];
	bool failure;
	/* __failure_if_btf_enum(): refused where the kernel has it */
	char if_enum_type[64], if_enum_value[64];
	const char *msgs[MAX_MSGS];
	int nr_msgs;
	/* What the tags said wrong, reported as the test's failure. */
	char bad_tag[160];
};

static char verifier_log[1 << 20];

static const char *str_has_prefix(const char *s, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(s, prefix, len) ? NULL : s + len;
}

/* The tag without "comment:<n>:", or NULL if it is not a test tag. */
static const char *tag_text(const char *tag)
{
	int n = 0;

	if (sscanf(tag, "comment:%*d:%n", &n) < 0 || !n)
		return NULL;
	return tag + n;
}

static int by_tag_order(const void *a, const void *b)
{
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

/* The tags on function @func_id, in the order they stand in the source. */
static int collect_tags(const struct btf *btf, int func_id, const char **tags,
			int max)
{
	int n = 0;

	for (int id = 1; id < (int)btf__type_cnt(btf) && n < max; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_decl_tag(t) && t->type == (__u32)func_id &&
		    btf_decl_tag(t)->component_idx == -1)
			tags[n++] = btf__name_by_offset(btf, t->name_off);
	}
	qsort(tags, n, sizeof(*tags), by_tag_order);
	return n;
}

static void parse_tag(struct tagged_prog *tp, const char *tag)
{
	const char *text = tag_text(tag), *v;

	if (!text)
		return;
	if (!strcmp(text, "test_expect_failure")) {
		tp->failure = true;
	} else if (!strcmp(text, "test_expect_success")) {
		tp->failure = false;
	} else if ((v = str_has_prefix(text, "test_expect_msg="))) {
		if (tp->nr_msgs < MAX_MSGS)
			tp->msgs[tp->nr_msgs++] = strdup(v);
		else
			snprintf(tp->bad_tag, sizeof(tp->bad_tag),
				 "more than %d __msg()", MAX_MSGS);
	} else if ((v = str_has_prefix(text, "test_expect_failure_if_btf_enum="))) {
		if (sscanf(v, "%63[^:]:%63s", tp->if_enum_type,
			   tp->if_enum_value) != 2)
			snprintf(tp->bad_tag, sizeof(tp->bad_tag),
				 "__failure_if_btf_enum(\"%.64s\")", v);
	} else {
		snprintf(tp->bad_tag, sizeof(tp->bad_tag), "unknown tag %.100s",
			 text);
	}
}

/*
 * A __msg() pattern as a POSIX extended regular expression: the text
 * outside {{ }} with its special characters escaped.
 */
static int compile_msg(const char *pattern, regex_t *re)
{
	char buf[512], *out = buf;
	bool in_regex = false;

	while (*pattern && out < buf + sizeof(buf) - 3) {
		if (!strncmp(pattern, in_regex ? "}}" : "{{", 2)) {
			in_regex = !in_regex;
			pattern += 2;
			continue;
		}
		if (!in_regex && strchr(".[]\\()*+?{}|^$", *pattern))
			*out++ = '\\';
		*out++ = *pattern++;
	}
	*out = '\0';
	if (*pattern || in_regex)
		return -EINVAL;
	return regcomp(re, buf, REG_EXTENDED | REG_NEWLINE) ? -EINVAL : 0;
}

/* Each __msg() pattern, in order, each found after the one before. */
static bool log_matches(const struct tagged_prog *tp, const char *log)
{
	for (int i = 0; i < tp->nr_msgs; i++) {
		regmatch_t m;
		regex_t re;
		int miss;

		if (!ASSERT_OK(compile_msg(tp->msgs[i], &re), tp->msgs[i]))
			return false;
		miss = regexec(&re, log, 1, &m, 0);
		regfree(&re);
		if (!__ASSERT(!miss, "__msg(\"%s\") not in the verifier's log%s",
			      tp->msgs[i], i ? " after the one before" : ""))
			return false;
		printf("verifier said: '%.*s'\n", (int)(m.rm_eo - m.rm_so),
		       log + m.rm_so);
		log += m.rm_eo;
	}
	return true;
}

static void run_tagged(const struct uls_test *self)
{
	const struct tagged_prog *tp = (const struct tagged_prog *)self;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = tp->object);
	struct bpf_program *prog, *p;
	struct bpf_object *obj;
	bool refuse = tp->failure;
	const void *bytes;
	size_t size;
	int err;

	if (!ASSERT_FALSE(tp->bad_tag[0], tp->bad_tag))
		return;
	if (tp->if_enum_type[0]) {
		int has = t_kernel_has_enum_value(tp->if_enum_type,
						  tp->if_enum_value);

		if (!ASSERT_GE(has, 0, "read the kernel's BTF"))
			return;
		refuse = has;
		printf("the kernel's BTF %s %s in enum %s: the verifier must %s\n",
		       has ? "has" : "lacks", tp->if_enum_value,
		       tp->if_enum_type, has ? "refuse" : "accept");
	}

	bytes = tp->elf_bytes(&size);
	obj = bpf_object__open_mem(bytes, size, &opts);
	if (!ASSERT_OK_PTR(obj, tp->object))
		return;
	prog = bpf_object__find_program_by_name(obj, tp->prog);
	if (!ASSERT_OK_PTR(prog, tp->prog))
		goto out;
	/* Only the program under test: the others have verdicts of their own. */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	verifier_log[0] = '\0';
	bpf_program__set_log_buf(prog, verifier_log, sizeof(verifier_log));
	err = bpf_object__load(obj);
	if (!refuse) {
		if (!ASSERT_OK(err, "the verifier accepts it"))
			fprintf(stderr, "verifier log:\n%s\n", verifier_log);
		goto out;
	}
	if (ASSERT_NEQ(err, 0, "the verifier refuses it") &&
	    !log_matches(tp, verifier_log))
		fprintf(stderr, "verifier log:\n%s\n", verifier_log);
out:
	bpf_object__close(obj);
}

/*
 * A test for each tagged program of the object, run at start-up: the
 * tests must be known before any runs, for -l, for the names the runner
 * is given and for the TAP plan. Opening an object reads it; nothing is
 * loaded into the kernel here.
 */
static void register_tagged(const char *object,
			    const void *(*elf_bytes)(size_t *size))
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = object);
	const char *tags[4 * MAX_MSGS];
	struct bpf_program *prog;
	struct bpf_object *obj;
	const void *bytes;
	struct btf *btf;
	size_t size;

	bytes = elf_bytes(&size);
	obj = bpf_object__open_mem(bytes, size, &opts);
	btf = obj ? bpf_object__btf(obj) : NULL;
	if (!btf) {
		fprintf(stderr, "uls_test: %s: no BTF to read tags from\n", object);
		exit(2);
	}
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
		int nr_tags = id > 0 ? collect_tags(btf, id, tags, 4 * MAX_MSGS) : 0;
		struct tagged_prog *tp;

		if (!nr_tags)
			continue;
		tp = calloc(1, sizeof(*tp));
		if (!tp)
			exit(2);
		snprintf(tp->name, sizeof(tp->name), "verifier_%s", name);
		snprintf(tp->prog, sizeof(tp->prog), "%s", name);
		tp->object = object;
		tp->elf_bytes = elf_bytes;
		for (int i = 0; i < nr_tags; i++)
			parse_tag(tp, tags[i]);
		if (tp->nr_msgs && !tp->failure && !tp->if_enum_type[0])
			snprintf(tp->bad_tag, sizeof(tp->bad_tag),
				 "__msg() on a program the verifier must accept");
		tp->test.name = tp->name;
		tp->test.run = run_tagged;
		test__register(&tp->test);
	}
	bpf_object__close(obj);
}

/* The objects whose programs carry verifier expectations. */
#define RUN_TESTS(skel)							\
	__attribute__((constructor)) static void run_tests_##skel(void)	\
	{								\
		register_tagged(#skel, skel##__elf_bytes);		\
	}

RUN_TESTS(verifier_fail)
RUN_TESTS(walk)
