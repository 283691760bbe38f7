/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the verifier must make of a program, written on the program: BTF
 * declaration tags that tests/test_verifier.c reads from the object and
 * turns into one test per tagged program, "verifier_<program>". The same
 * tags, with the same meaning, as the kernel's
 * tools/testing/selftests/bpf/progs/bpf_misc.h, which its test_loader.c
 * reads:
 *
 *	SEC("syscall")
 *	__failure __msg("invalid mem access '{{(rdwr_)?}}mem_or_null'")
 *	int missing_null_check(struct probe_ctx *c)
 *
 * __failure	the verifier refuses the program.
 * __success	the verifier accepts it.
 * __msg(text)	the verifier's log has @text. With several, the log has
 *		each of them, in their order. Text between {{ and }} is a
 *		POSIX extended regular expression, the rest is matched as it
 *		is. Kernels word one refusal differently: list the wordings
 *		as alternatives, {{one wording|another}}.
 *
 * And one of uls's own, for an outcome that depends on a kernel feature:
 *
 * __failure_if_btf_enum(type, value)
 *		the verifier refuses the program on kernels whose BTF has
 *		enumerator @value in enum @type, and accepts it elsewhere;
 *		__msg() applies where it refuses. Probe the feature that
 *		changed the verdict, never a version number.
 *
 * A program with no tag is no verifier test: tests load and run it.
 */
#ifndef ULS_TEST_TAGS_H
#define ULS_TEST_TAGS_H

/*
 * "comment:", as the kernel's: it gives some other prefixes ("arg:") a
 * meaning. Then a number that grows down the file: compilers write a
 * function's tags in no set order, and __msg()'s order counts.
 */
#define __test_tag_str(x) #x
#define __test_tag_num(n) __test_tag_str(n)
#define __test_tag(text)						\
	__attribute__((btf_decl_tag("comment:" __test_tag_num(__COUNTER__) ":" text)))

#define __failure		__test_tag("test_expect_failure")
#define __success		__test_tag("test_expect_success")
#define __msg(text)		__test_tag("test_expect_msg=" text)
#define __failure_if_btf_enum(type, value)				\
	__test_tag("test_expect_failure_if_btf_enum=" type ":" value)

#endif /* ULS_TEST_TAGS_H */
