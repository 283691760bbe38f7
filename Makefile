# SPDX-License-Identifier: GPL-2.0
#
# uls: the module (Kbuild + BTF), the BPF objects and skeletons, libuls,
# ulsctl and the tests; `make check` and `make demo` run them in QEMU.
#
#   make [KVER=<kernel>]       build everything
#   make module                the module only (what DKMS runs)
#   make dkms-install          install the module through DKMS
#   make dkms-uninstall        and remove it
#   make check [KVER=<kernel>] install what is needed, build, and test in
#                              a VM on every kernel of the matrix (or one)
#   make check ... TESTS=a,b   only the tests a and b (uls_test -l, and the
#                              steps of tests/guest/run-check)
#   make check-debug           the same on the debug kernels only (6.1 and
#                              7.2 with KASAN, lockdep, kmemleak; built
#                              once, cached)
#   make demo [KVER=<kernel>]  the same VM, running the switch-count demo
#   make demo-mutex [KVER=...] the scheduler-event feed and the adaptive
#                              mutex (schedwatch, the mutex benchmark)
#   make demo-scx [KVER=...]   scx_hints, the sched_ext scheduler driven by
#                              hints: wake-up latency under CPU hogs,
#                              without and with the hint (7.2; a CDF plot
#                              under $(O)/demo-scx/)
#   make check-fresh           make demo and make check KVER=6.1 in a new
#                              debootstrap root (the CI's first step)
#   make check-packages        the Debian packages built, linted, installed
#                              in a new root (DKMS builds the module there),
#                              programs built against them, and run in the
#                              VM with that root as its file system
#   make bench [KVER=<kernel>] the benchmarks, in the VM of 6.1 and 7.2 (or
#                              one kernel): results and plots under
#                              $(O)/bench/<kernel>/
#   make bench DETERMINISTIC=1 the same, the guest's clock counting
#                              instructions (QEMU -icount): the same
#                              figures run after run; under
#                              $(O)/bench-deterministic/<kernel>/
#   make bench-spread RUNS=3   make bench RUNS times, and how far each
#                              ratio moved (also with DETERMINISTIC=1);
#                              bench-spread-publish: to bench/spread*.csv
#   make bench-trace [KVER=...] [DETERMINISTIC=1]
#                              where the time of a thread that calls
#                              uls_area() goes, against a plain one:
#                              ftrace's function_graph and counters in the
#                              guest, tables under $(O)/bench-trace*/
#   make bench-publish         copy them to bench/results/<kernel>/, the
#                              figures the README shows (results-
#                              deterministic/ with DETERMINISTIC=1)
#   make install               libuls, its headers, uls.pc, the man pages
#                              and ulsctl (PREFIX, DESTDIR, LIBDIR,
#                              INCLUDEDIR, SBINDIR, MANDIR, PKGCONFIGDIR;
#                              BINDIR is accepted, and unused);
#                              make uninstall takes them out again
#   make check-install         make install into a temporary root, and
#                              programs built against it (tests/install)
#   make dkms-src DESTDIR=...  the module's DKMS sources, for packages
#
# check, bench and demo take one path: tests/matrix/setup.sh makes their
# kernels ready, tests/matrix/run.sh takes them one by one, and for each
# the target's ending (tests/check.sh, tests/bench/bench.sh,
# tests/demo.sh) has tests/vm/boot.sh build the payload and boot it with
# its guest script (tests/guest/run-*), then says what the run gave.

# The version is written once, in include/uls/version.h. libuls's soname
# carries its major number only (version.h says why).
VERSION := $(shell sed -n 's/^\#define ULS_VERSION_[MP][A-Z]*[[:space:]]*\([0-9]*\)$$/\1/p' \
	     include/uls/version.h | paste -sd.)
VERSION_MAJOR := $(firstword $(subst ., ,$(VERSION)))

# The kernel to build the module for (make module, make dkms-install): the
# running one. The tests never build for the host's kernels: they take
# theirs from the chroots of tests/matrix (make check, demo, bench).
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
# The BPF objects are CO-RE: one vmlinux.h serves every kernel. A plain
# build takes it from the running kernel; the tests from the oldest kernel
# of the matrix, whose BTF tests/matrix/setup.sh writes to $(CORE_BTF).
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

O ?= build
override O := $(abspath $(O))
# O is also kbuild's output directory: keep ours out of the kernel's make
# (the runs below hand it to their sub-make themselves).
MAKEOVERRIDES := $(filter-out O=%,$(MAKEOVERRIDES))
ULS_CACHE ?= $(HOME)/.cache/uls
export ULS_CACHE

CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
USER_CFLAGS := $(CPPFLAGS) $(CFLAGS) $(WARN) -D_GNU_SOURCE -Iinclude/uapi -Iinclude -Iuser/lib
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall \
	      -I$(O)/include -Iinclude -Ibpf -Ikfuncs
STATIC_LIBS := -Wl,--start-group -lbpf -lelf -lz -lzstd -Wl,--end-group -lpthread

Q := $(if $(V),,@)
msg = @printf '  %-8s %s\n' '$(1)' '$(patsubst $(O)/%,%,$(2))'

.PHONY: all module clean-module bpf user tests check check-debug check-run demo \
	bench-spread bench-spread-run bench-spread-publish bench-trace \
	bench-trace-run \
	demo-run demo-mutex demo-mutex-run demo-scx demo-scx-run bench bench-run bench-publish check-fresh \
	check-packages FORCE \
	dkms-src dkms-install dkms-uninstall version install uninstall check-install \
	check-install-run clean
all: module bpf user tests

# --- module ------------------------------------------------------------
# Kbuild adds BTF by itself where the headers ship a vmlinux (6.12+);
# module-btf.sh adds it where they do not (6.1) and checks it everywhere.
BTFIDS := $(O)/scripts/uls-btfids
# The kfuncs every module build (and tests/vm/boot.sh) checks for in .BTF_ids:
# those kfuncs/kfuncs.c puts in its set.
ULS_CHECK_FUNCS := $(shell sed -n 's/^BTF_ID_FLAGS.func, \([a-z_0-9]*\),.*/\1/p' kfuncs/kfuncs.c)
export ULS_CHECK_FUNCS

module: $(BTFIDS)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
	ULS_BTFIDS=$(BTFIDS) ULS_BTF_CACHE=$(O)/btf \
		scripts/module-btf.sh $(KVER) $(CURDIR)/uls.ko $(KDIR)

clean-module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

$(BTFIDS): scripts/btfids/uls-btfids.c scripts/btfids/Makefile
	$(Q)$(MAKE) -s -C scripts/btfids O=$(O)/scripts

# --- BPF -----------------------------------------------------------------
BPF_PROGS := $(wildcard bpf/*.bpf.c)
TEST_PROGS := $(wildcard tests/progs/*.bpf.c)
SKELS := $(patsubst %.bpf.c,$(O)/include/%.skel.h,$(notdir $(BPF_PROGS) $(TEST_PROGS)))

bpf: $(SKELS)
# Keep the objects the skeletons embed.
.SECONDARY: $(patsubst %.bpf.c,$(O)/bpf/%.bpf.o,$(notdir $(BPF_PROGS) $(TEST_PROGS)))

# vmlinux.h is made again when its BTF changes, or comes from elsewhere.
$(O)/btf/vmlinux.from: FORCE
	$(Q)mkdir -p $(@D) && echo '$(VMLINUX_BTF)' | cmp -s - $@ || echo '$(VMLINUX_BTF)' > $@

$(O)/include/vmlinux.h: $(VMLINUX_BTF) $(O)/btf/vmlinux.from
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && $(BPFTOOL) btf dump file $< format c > $@.tmp && mv $@.tmp $@

FORCE:

BPF_HDRS := bpf/uls.bpf.h bpf/uls_key.bpf.h bpf/tld.bpf.h kfuncs/uls_kfuncs.h \
	include/uls/key_layout.h include/uls/sched_events.h include/uls/hint.h \
	$(O)/include/vmlinux.h

$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(wildcard bpf/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp && \
		$(BPFTOOL) gen object $@ $@.tmp && rm $@.tmp

$(O)/bpf/%.bpf.o: tests/progs/%.bpf.c $(BPF_HDRS) $(wildcard tests/progs/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(BPF_CFLAGS) -Itests/progs -c $< -o $@.tmp && \
		$(BPFTOOL) gen object $@ $@.tmp && rm $@.tmp

# The benchmark's programs compare with UPTR, whose __uptr type tag clang 14
# (Debian 12's default) leaves out of BTF: they take clang 19, from Debian 12
# too, all of them, so that the compared lookups are compiled alike.
BENCH_CLANG ?= $(or $(shell command -v clang-19 2>/dev/null),$(CLANG))

# bench_tld_upstream.bpf.c includes upstream's TLD header unchanged
# (tests/bench/upstream/), and it includes <errno.h>: tests/bench/compat/
# has one that compiles for BPF.
$(O)/bpf/bench_tld_upstream.bpf.o: BENCH_BPF_FLAGS := -Itests/bench/compat

$(O)/bpf/%.bpf.o: tests/bench/%.bpf.c $(BPF_HDRS) $(wildcard bpf/*.h include/uls/*.h) \
		  $(wildcard tests/bench/*.h tests/bench/upstream/*.h) tests/bench/bench.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(BENCH_CLANG) $(BPF_CFLAGS) -Itests/bench $(BENCH_BPF_FLAGS) \
		-c $< -o $@.tmp && \
		$(BPFTOOL) gen object $@ $@.tmp && rm $@.tmp

$(O)/include/%.skel.h: $(O)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# --- user side -------------------------------------------------------------
LIBULS_SRCS := $(wildcard user/lib/*.c)
LIBULS_HDRS := user/lib/uls.h user/lib/tld.h user/lib/internal.h \
	       include/uapi/linux/uls.h include/uls/key_layout.h include/uls/sched_events.h \
	       include/uls/hint.h include/uls/version.h

$(O)/user/pic/%.o: user/lib/%.c $(LIBULS_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

# libuls.a: position-independent too, so that a DSO can embed it; hidden,
# and a copy that defers to libuls.so.0 where that is loaded (owner.c).
$(O)/user/static/%.o: user/lib/%.c $(LIBULS_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -fPIC -fvisibility=hidden \
		-DULS_STATIC_COPY -c $< -o $@

$(O)/user/libuls.a: $(patsubst user/lib/%.c,$(O)/user/static/%.o,$(LIBULS_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# libuls.so.X.Y.Z, soname libuls.so.X, exporting what libuls.map lists
# and nothing else, and the map listing what ULS_API marks: check-abi.sh
# fails the link otherwise (before the file takes its name, so that the
# next make tries again).
LIBULS_SONAME := libuls.so.$(VERSION_MAJOR)
LIBULS_SO := $(O)/user/libuls.so.$(VERSION)
LIBULS_MAP := user/lib/libuls.map
NM ?= nm
READELF ?= readelf

$(LIBULS_SO): $(patsubst user/lib/%.c,$(O)/user/pic/%.o,$(LIBULS_SRCS)) $(LIBULS_MAP) \
	      scripts/check-abi.sh
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,$(LIBULS_SONAME) \
		-Wl,--version-script=$(LIBULS_MAP) -o $@.tmp $(filter %.o,$^) -lpthread
	$(call msg,CHECK,$@ against $(LIBULS_MAP))
	$(Q)NM='$(NM)' READELF='$(READELF)' scripts/check-abi.sh $@.tmp $(LIBULS_MAP) \
		$(filter %.o,$^) && mv $@.tmp $@

# The soname's link, what programs load, and the linker's name for -luls.
$(O)/user/$(LIBULS_SONAME): $(LIBULS_SO)
	$(Q)ln -sf $(notdir $<) $@
$(O)/user/libuls.so: $(O)/user/$(LIBULS_SONAME)
	$(Q)ln -sf $(notdir $<) $@
LIBULS_SHARED := $(LIBULS_SO) $(O)/user/$(LIBULS_SONAME) $(O)/user/libuls.so

# How ulsctl and the examples in $(O)/user are linked: LINK=static (the
# default), with libuls.a and libbpf in the binary, so that they run where
# neither is installed (the test VM); LINK=shared, against
# $(O)/user/libuls.so.X and the system's libbpf.so, as a distribution
# ships them. make install's ulsctl is always linked the shared way (see
# INSTALL_ULSCTL below).
LINK ?= static
SHARED_BPF_LIBS := -lbpf -lpthread
ifeq ($(LINK),static)
LINK_FLAGS := -static
LIBULS_DEP := $(O)/user/libuls.a
LIBULS_LINK := $(O)/user/libuls.a
BPF_LIBS := $(STATIC_LIBS)
else ifeq ($(LINK),shared)
LINK_FLAGS :=
LIBULS_DEP := $(O)/user/$(LIBULS_SONAME)
LIBULS_LINK := -L$(O)/user -l:$(LIBULS_SONAME)
BPF_LIBS := $(SHARED_BPF_LIBS)
else
$(error LINK=$(LINK): LINK is static or shared)
endif

# ulsctl events loads the scheduler-event feed from its skeleton, which
# takes clang, bpftool and the BTF that vmlinux.h is made from; without
# them, ulsctl is built without the feed (noevents.c), and needs no libbpf.
ULSCTL_EVENTS := $(if $(and $(shell command -v $(CLANG) 2>/dev/null),\
			    $(shell command -v $(BPFTOOL) 2>/dev/null),\
			    $(wildcard $(VMLINUX_BTF))),y)
ULSCTL_SRCS := $(filter-out user/ulsctl/events.c user/ulsctl/noevents.c,\
		 $(wildcard user/ulsctl/*.c)) \
	       user/ulsctl/$(if $(ULSCTL_EVENTS),events.c,noevents.c)
ULSCTL_DEPS := $(ULSCTL_SRCS) $(wildcard user/ulsctl/*.h) $(LIBULS_HDRS) \
	       $(if $(ULSCTL_EVENTS),$(O)/include/sched_events.skel.h) $(O)/user/link.flags
ULSCTL_CFLAGS := $(if $(ULSCTL_EVENTS),-I$(O)/include,-DULSCTL_NO_EVENTS)
ULSCTL_NO_EVENTS_MSG := $(if $(ULSCTL_EVENTS),,@echo '  ulsctl: $(CLANG) or $(BPFTOOL) or \
	$(VMLINUX_BTF) not found: built without the event feed')

$(O)/user/ulsctl: $(ULSCTL_DEPS) $(LIBULS_DEP)
	$(call msg,CC,$@)
	$(ULSCTL_NO_EVENTS_MSG)
	$(Q)$(CC) $(USER_CFLAGS) $(ULSCTL_CFLAGS) $(LDFLAGS) $(LINK_FLAGS) \
		-o $@ $(ULSCTL_SRCS) $(LIBULS_LINK) $(if $(ULSCTL_EVENTS),$(BPF_LIBS),-lpthread)

# make install's ulsctl, whatever LINK says: against the libuls.so.X that
# it installs next to it and, with the feed, the system's libbpf.so. A
# static one would take libbpf.a and what it needs (libelf, zlib, libzstd:
# STATIC_LIBS), which libbpf-dev alone does not bring; make install needs
# a C compiler, and libbpf-dev only where it builds the feed. With
# LINK=shared (the packages), $(O)/user/ulsctl is that one already.
ifeq ($(LINK),shared)
INSTALL_ULSCTL := $(O)/user/ulsctl
else
INSTALL_ULSCTL := $(O)/user/shared/ulsctl
$(INSTALL_ULSCTL): $(ULSCTL_DEPS) $(O)/user/$(LIBULS_SONAME)
	$(call msg,CC,$@)
	$(ULSCTL_NO_EVENTS_MSG)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) $(ULSCTL_CFLAGS) $(LDFLAGS) \
		-o $@ $(ULSCTL_SRCS) -L$(O)/user -l:$(LIBULS_SONAME) \
		$(if $(ULSCTL_EVENTS),$(SHARED_BPF_LIBS),-lpthread)
endif

# What the user programs were last linked as (LINK, and whether ulsctl has
# the feed): when that changes, they are linked again.
$(O)/user/link.flags: FORCE
	$(Q)mkdir -p $(@D) && echo '$(LINK) $(ULSCTL_EVENTS)' | cmp -s - $@ || \
		echo '$(LINK) $(ULSCTL_EVENTS)' > $@

# Examples: user/examples/X.c, with bpf/X.bpf.c where it has one, linked
# as LINK says (statically by default, so the test VM runs them as they
# are).
EXAMPLES := $(patsubst user/examples/%.c,$(O)/user/%,$(wildcard user/examples/*.c))
EXAMPLES_BPF := $(filter $(patsubst bpf/%.bpf.c,$(O)/user/%,$(BPF_PROGS)),$(EXAMPLES))

$(EXAMPLES_BPF): $(O)/user/%: user/examples/%.c $(O)/include/%.skel.h $(LIBULS_DEP) \
			      $(O)/user/link.flags
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Ibpf -I$(O)/include $(LDFLAGS) $(LINK_FLAGS) -o $@ $< \
		$(LIBULS_LINK) $(BPF_LIBS)

$(filter-out $(EXAMPLES_BPF),$(EXAMPLES)): $(O)/user/%: user/examples/%.c $(LIBULS_DEP) \
						     $(LIBULS_HDRS) $(O)/user/link.flags
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS) $(LINK_FLAGS) -o $@ $< $(LIBULS_LINK) -lpthread

user: $(O)/user/libuls.a $(LIBULS_SHARED) $(O)/user/ulsctl $(EXAMPLES)

# --- tests -----------------------------------------------------------------
TEST_SRCS := $(wildcard tests/*.c)
TEST_OBJS := $(patsubst tests/%.c,$(O)/tests/%.o,$(TEST_SRCS))

$(O)/tests/%.o: tests/%.c $(wildcard tests/*.h tests/sched_ext/*.h user/examples/*.h) $(SKELS) \
		  $(LIBULS_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -Itests -I$(O)/include -c $< -o $@

$(O)/tests/uls_test: $(TEST_OBJS) $(O)/user/libuls.a
	$(call msg,LD,$@)
	$(Q)$(CC) -static -o $@ $(TEST_OBJS) $(O)/user/libuls.a $(STATIC_LIBS)

# The task local data selftest, a program of its own (tests/test_tld.c
# says why), with the runner and the helpers.
TLD_TEST_OBJS := $(O)/tests/tld/test_task_local_data.o \
	$(addprefix $(O)/tests/,runner.o helpers.o counters.o)

$(O)/tests/tld/%.o: tests/tld/%.c $(wildcard tests/*.h) $(SKELS) $(LIBULS_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -Itests -I$(O)/include -c $< -o $@

$(O)/tests/uls_tld_test: $(TLD_TEST_OBJS) $(O)/user/libuls.a
	$(call msg,LD,$@)
	$(Q)$(CC) -static -o $@ $(TLD_TEST_OBJS) $(O)/user/libuls.a $(STATIC_LIBS)

tests: $(O)/tests/uls_test $(O)/tests/uls_bench $(O)/tests/uls_mutex_bench \
	$(O)/tests/uls_tld_test $(O)/tests/uls_thread_trace $(O)/tests/uls_scx_bench

# The key tests that need shared libraries (tests/dso): a dynamically
# linked runner, uls_dso_test, linked with libuls.so.0 (libbpf statically,
# as the guest has no libbpf), and next to it the libraries its tests load
# with dlopen(): two linked with libuls.so.0, one with libuls.a (PIC,
# its symbols hidden), as a library would embed it. tests/vm/boot.sh copies them and the shared
# libraries they need into the guest.
DSO_DIR := $(O)/tests/dso
DSO_TEST := $(DSO_DIR)/uls_dso_test
DSO_LIBS := $(DSO_DIR)/libuls_dso_a.so $(DSO_DIR)/libuls_dso_b.so $(DSO_DIR)/libuls_dso_st.so
DSO_TEST_SRCS := tests/dso/dso_main.c tests/runner.c tests/helpers.c \
	tests/counters.c tests/keys_util.c
tests: $(DSO_TEST)

$(DSO_TEST): $(DSO_TEST_SRCS) $(wildcard tests/*.h) tests/dso/dso.h $(SKELS) \
	     $(LIBULS_HDRS) $(O)/user/$(LIBULS_SONAME) $(DSO_LIBS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -Itests -Itests/dso -I$(O)/include \
		-o $@ $(DSO_TEST_SRCS) -L$(O)/user -l:$(LIBULS_SONAME) \
		-Wl,-Bstatic -lbpf -lelf -lz -lzstd -Wl,-Bdynamic -lpthread -ldl

# dso_a, dso_b: keys of different sizes, with libuls.so.0.
$(DSO_DIR)/libuls_dso_a.so: DSO_DEFS := -DDSO_PREFIX=dso_a -DDSO_SMALL=16 -DDSO_BIG=2000
$(DSO_DIR)/libuls_dso_b.so: DSO_DEFS := -DDSO_PREFIX=dso_b -DDSO_SMALL=24 -DDSO_BIG=5000
$(DSO_DIR)/libuls_dso_%.so: tests/dso/dso_lib.c tests/dso/dso.h $(LIBULS_HDRS) $(O)/user/$(LIBULS_SONAME)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) $(DSO_DEFS) -fPIC -shared \
		-fvisibility=hidden -o $@ $< -L$(O)/user -l:$(LIBULS_SONAME)

# dso_st: its own libuls, libuls.a, hidden (ULS_STATIC_COPY: its calls
# bind to its own copy; --exclude-libs: nothing of the archive exported).
$(DSO_DIR)/libuls_dso_st.so: tests/dso/dso_lib.c tests/dso/dso.h $(LIBULS_HDRS) $(O)/user/libuls.a
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -DDSO_PREFIX=dso_st -DDSO_SMALL=40 \
		-DDSO_BIG=3000 -DULS_STATIC_COPY -fPIC -shared -fvisibility=hidden \
		-o $@ $< -Wl,--exclude-libs,ALL $(O)/user/libuls.a -lpthread -ldl

# --- benchmarks ----------------------------------------------------------
BENCH_SKELS := $(patsubst tests/bench/%.bpf.c,$(O)/include/%.skel.h,$(wildcard tests/bench/*.bpf.c))
.SECONDARY: $(patsubst tests/bench/%.bpf.c,$(O)/bpf/%.bpf.o,$(wildcard tests/bench/*.bpf.c))

# The user halves of key_get_vs_tld: uls's tld.h and upstream's
# task_local_data.h each in a file of its own, as they define the same names.
BENCH_SRCS := tests/bench/bench.c tests/bench/tld_uls.c tests/bench/tld_upstream.c

$(O)/tests/uls_bench: $(BENCH_SRCS) $(wildcard tests/bench/*.h tests/bench/upstream/*.h) \
		      $(BENCH_SKELS) $(O)/tests/counters.o $(O)/user/libuls.a \
		      $(LIBULS_HDRS) $(wildcard user/lib/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -Itests/bench -Itests -I$(O)/include \
		-static -o $@ $(BENCH_SRCS) $(O)/tests/counters.o $(O)/user/libuls.a \
		$(STATIC_LIBS)

# make bench-trace's tracer of the thread-creation figure, in the guest.
$(O)/tests/uls_thread_trace: tests/bench/thread_trace.c tests/bench/threads.h \
			     tests/bench/bench.h $(O)/tests/counters.o $(O)/user/libuls.a \
			     $(LIBULS_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -Itests/bench -Itests -static -o $@ $< \
		$(O)/tests/counters.o $(O)/user/libuls.a -lpthread

# The adaptive mutex against pthread's and a spinlock (make bench, make
# demo-mutex): a program of its own, as it runs in a VM of its own.
$(O)/tests/uls_mutex_bench: tests/bench/mutex_bench.c tests/bench/results.h $(O)/include/tp_hold.skel.h \
			   $(O)/user/libuls.a $(LIBULS_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -I$(O)/include -static -o $@ $< \
		$(O)/user/libuls.a $(STATIC_LIBS) -lm

# scx_hints's wake-up latency figures (make bench, on kernels with
# sched_ext): a program of its own, as it runs in a VM of its own.
$(O)/tests/uls_scx_bench: tests/bench/scx_bench.c tests/bench/results.h \
			 tests/sched_ext/scx_run.h user/examples/hintlat.h \
			 $(O)/user/libuls.a $(LIBULS_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -static -o $@ $< \
		$(O)/user/libuls.a -lpthread

# --- running ---------------------------------------------------------------
# Each of these installs the build tools it needs on the host
# (tests/setup-host.sh), makes its kernels ready in the chroots of
# tests/matrix (setup.sh; nothing goes on the host's kernels, boot entries,
# apt sources or DKMS tree), then runs a fresh make, so that the kernel
# versions and tools are looked up once they exist.
# KVER on the command line: that kernel only, a name from
# tests/matrix/kernels.list or the version of one.
CORE_BTF := $(O)/btf/core.btf
ASKED_KVER = $(if $(filter command line,$(origin KVER)),$(KVER))
SETUP = tests/matrix/setup.sh -b $(CORE_BTF) -o
RUN_TOOLS = bpf user tests $(BTFIDS)

# Without KVER, every kernel of the matrix.
check:
	tests/setup-host.sh
	$(SETUP) $(O)/matrix.list $(ASKED_KVER)
	$(MAKE) check-run O=$(O) VMLINUX_BTF=$(CORE_BTF)

# The debug tier is the matrix's kernels built from source, "debug" (6.1)
# and "debug-7.2" (tests/debug), run by `make check` after the others.
DEBUG_KERNELS ?= debug debug-7.2
check-debug:
	tests/setup-host.sh
	$(SETUP) $(O)/matrix.list $(DEBUG_KERNELS)
	$(MAKE) check-run O=$(O) VMLINUX_BTF=$(CORE_BTF)

# TESTS on the command line: only those tests, in each VM (check.sh).
ASKED_TESTS = $(if $(filter command line,$(origin TESTS)),$(TESTS))

# Each kernel of a list in turn (tests/matrix/run.sh), ending as the
# target says: tests/check.sh, tests/bench/bench.sh or tests/demo.sh,
# each booting the VM through tests/vm/boot.sh.
RUN_EACH = tests/matrix/run.sh $(O)

# make check runs as many kernels at once as the host has cores, up to 2:
# each VM is one single-threaded TCG process, and its tests judge time
# only as ratios within one run. make bench keeps one at a time.
CHECK_JOBS ?= $(shell n=$$(nproc); [ $$n -ge 2 ] && echo 2 || echo 1)

check-run: $(RUN_TOOLS)
	ULS_TESTS='$(ASKED_TESTS)' tests/matrix/run.sh -j $(CHECK_JOBS) $(O) \
		$(O)/matrix.list tests/check.sh

# Without KVER, the oldest and the newest kernel of the matrix. A run
# writes under $(O) only: the figures in git change with bench-publish.
BENCH_KERNELS ?= 6.1 7.2
# Deterministic mode: 2^ICOUNT_SHIFT ns of guest time per instruction.
ICOUNT_SHIFT ?= 0
BENCH_MODE := $(if $(DETERMINISTIC),-deterministic)
BENCH_OUT := $(O)/bench$(BENCH_MODE)
BENCH_ARGS := $(if $(DETERMINISTIC),--icount $(ICOUNT_SHIFT))
# What each of them does first: the host's tools, the kernels ready.
define BENCH_SETUP
	tests/setup-host.sh bench
	$(SETUP) $(O)/bench.list $(or $(ASKED_KVER),$(BENCH_KERNELS))
endef
bench:
	$(BENCH_SETUP)
	$(MAKE) bench-run O=$(O) VMLINUX_BTF=$(CORE_BTF)

# $(BENCH_OUT) holds this run only: bench-publish publishes all it finds.
bench-run: $(RUN_TOOLS)
	rm -rf $(BENCH_OUT)
	$(RUN_EACH) $(O)/bench.list tests/bench/bench.sh $(BENCH_OUT) $(BENCH_ARGS)

# make bench-trace [KVER=...] [DETERMINISTIC=1]: where the time of a thread
# with an area goes, against a plain one (tests/bench/trace.sh: ftrace's
# function_graph and the kernel's counters, in the guest), as tables under
# $(O)/bench-trace[-deterministic]/<kernel>/trace.txt. TRACE_ARGS: more
# options for boot.sh, e.g. --append ULS_TRACE_TRACED=50.
TRACE_OUT := $(O)/bench-trace$(BENCH_MODE)
bench-trace:
	$(BENCH_SETUP)
	$(MAKE) bench-trace-run O=$(O) VMLINUX_BTF=$(CORE_BTF)

bench-trace-run: $(RUN_TOOLS)
	rm -rf $(TRACE_OUT)
	$(RUN_EACH) $(O)/bench.list tests/bench/trace.sh $(TRACE_OUT) $(BENCH_ARGS) $(TRACE_ARGS)

bench-publish:
	tests/bench/publish.sh $(BENCH_OUT) bench/results$(BENCH_MODE)

# make bench RUNS times over, each run under $(BENCH_SPREAD)/run-N/, and
# spread.py's table of how far each figure moved.
RUNS ?= 3
BENCH_SPREAD := $(O)/bench$(BENCH_MODE)-spread
bench-spread:
	$(BENCH_SETUP)
	$(MAKE) bench-spread-run O=$(O) VMLINUX_BTF=$(CORE_BTF)

bench-spread-run: $(RUN_TOOLS)
	rm -rf $(BENCH_SPREAD)
	for i in $$(seq $(RUNS)); do \
		$(RUN_EACH) $(O)/bench.list tests/bench/bench.sh \
			$(BENCH_SPREAD)/run-$$i $(BENCH_ARGS) || exit 1; \
	done
	tests/bench/spread.py $(BENCH_SPREAD) \
		$(if $(DETERMINISTIC),deterministic,default) $(BENCH_SPREAD)/run-*

bench-spread-publish:
	cp $(BENCH_SPREAD)/spread.csv bench/spread$(BENCH_MODE).csv

# Without KVER, Debian 12's own kernel.
DEMO_KERNEL ?= 6.1
demo:
	tests/setup-host.sh
	$(SETUP) $(O)/demo.list $(or $(ASKED_KVER),$(DEMO_KERNEL))
	$(MAKE) demo-run O=$(O) VMLINUX_BTF=$(CORE_BTF)

demo-run: $(RUN_TOOLS)
	$(RUN_EACH) $(O)/demo.list tests/demo.sh

# The scheduler-event feed and the adaptive mutex, in the same VM under
# multi-threaded TCG (a host thread per vCPU, as the mutex needs): the
# feed turned on, schedwatch, and the mutex benchmark's table.
demo-mutex:
	tests/setup-host.sh
	$(SETUP) $(O)/demo.list $(or $(ASKED_KVER),$(DEMO_KERNEL))
	$(MAKE) demo-mutex-run O=$(O) VMLINUX_BTF=$(CORE_BTF)

demo-mutex-run: $(RUN_TOOLS)
	$(RUN_EACH) $(O)/demo.list tests/demo.sh --guest run-demo-mutex --multi-thread

# scx_hints (user/scx_hints) on a kernel with sched_ext: one thread's
# wake-up latency under CPU hogs, under the default scheduler and under
# scx_hints without and with its hint; the CDF plot under $(O)/demo-scx/.
# On the instruction clock (one vCPU), as make bench measures it: README.
DEMO_SCX_KERNEL ?= 7.2
demo-scx:
	tests/setup-host.sh bench
	$(SETUP) $(O)/demo.list $(or $(ASKED_KVER),$(DEMO_SCX_KERNEL))
	$(MAKE) demo-scx-run O=$(O) VMLINUX_BTF=$(CORE_BTF)

demo-scx-run: $(RUN_TOOLS)
	$(RUN_EACH) $(O)/demo.list tests/demo.sh --guest run-demo-scx --scx --icount 0

# The README's path in a new debootstrap root: make demo, then make check
# KVER=6.1 (what .ci/run does first).
check-fresh:
	tests/setup-host.sh
	tests/fresh/run.sh

# The Debian packages as a user gets them (tests/packages/run.sh): built
# from a clean copy of HEAD and installed in new bookworm roots, under
# $(ULS_CACHE)/packages; nothing on the host but QEMU.
check-packages:
	tests/setup-host.sh
	tests/packages/run.sh

# --- installing ------------------------------------------------------------
# The module's sources as DKMS builds them, and nothing else: what
# Kbuild compiles, what `make module` runs (this Makefile, and scripts/
# for the BTF step: base BTF, pahole, uls-btfids, needed where the
# headers ship no vmlinux, as 6.1's), and dkms.conf.
DKMS_FILES := Kbuild Makefile dkms.conf \
	$(wildcard module/*.c module/*.h module/selftest/*.c) \
	kfuncs/kfuncs.c kfuncs/uls_kfuncs.h \
	include/uapi/linux/uls.h include/uls/key_layout.h include/uls/version.h \
	scripts/module-btf.sh scripts/base-btf.sh scripts/extract-vmlinux.sh \
	scripts/btfids/Makefile scripts/btfids/get.sh scripts/btfids/uls-btfids.c
DKMS_SRC := /usr/src/uls-$(VERSION)

# make dkms-src DESTDIR=<root>: those files in <root>/usr/src/uls-X.Y.Z,
# dkms.conf's version filled in, for a package (or dkms add) to take.
dkms-src:
	rm -rf $(DESTDIR)$(DKMS_SRC) && mkdir -p $(DESTDIR)$(DKMS_SRC)
	tar -c $(DKMS_FILES) | tar -x --no-same-owner -C $(DESTDIR)$(DKMS_SRC)
	sed -i 's/#MODULE_VERSION#/$(VERSION)/' $(DESTDIR)$(DKMS_SRC)/dkms.conf

# KROOT=<dir>: install into the chroot <dir> (where the kernel's headers
# are, e.g. the sid chroot of tests/matrix) and run dkms there.
KROOT ?=
# dkms runs make itself, and reads the kernel's compiler from make's
# output: ours (MAKEFLAGS with -w) must not leak into it.
DKMS := $(if $(KROOT),tests/matrix/chroot-run.sh $(KROOT)) \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dkms

dkms-install:
	$(MAKE) dkms-src DESTDIR=$(KROOT)
	if $(DKMS) status -m uls -v $(VERSION) | grep -q .; then \
		$(DKMS) remove uls/$(VERSION) --all; fi
	$(DKMS) add uls/$(VERSION)
	$(DKMS) build uls/$(VERSION) -k $(KVER)
	$(DKMS) install uls/$(VERSION) -k $(KVER) --force

# Take uls out of DKMS again: every kernel's module, and its source.
dkms-uninstall:
	if $(DKMS) status -m uls -v $(VERSION) | grep -q .; then \
		$(DKMS) remove uls/$(VERSION) --all; fi
	rm -rf $(KROOT)$(DKMS_SRC)

# The release, for scripts and packaging: make -s version.
version:
	@echo $(VERSION)

# make install: libuls (shared and static), its headers (C, BPF and the
# TLD compatibility ones), uls.pc, the man pages and ulsctl, as autoconf
# names the places; DESTDIR, a staging root (packages). It builds those
# and nothing else: no test or example, and the BPF skeleton of ulsctl's
# event feed only where clang and bpftool are there (without them,
# ulsctl has no feed). Its ulsctl is INSTALL_ULSCTL, linked against
# libuls.so.X: a C compiler, and libbpf-dev for the feed, are all it needs.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
# Accepted, as packaging scripts pass it, but nothing goes there: ulsctl
# is an administrator's tool, installed in SBINDIR as bpftool is.
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL ?= install
LDCONFIG ?= ldconfig

# Headers: <uls.h> and <linux/uls.h> for C, <uls/*.h> (tld.h for TLD
# code); BPF programs take uls/bpf/ as an include directory (uls.pc's
# bpfincludedir) and include "uls.bpf.h" or "tld.bpf.h".
INSTALL_HDRS_ULS := include/uls/key_layout.h include/uls/sched_events.h include/uls/hint.h \
	include/uls/version.h user/lib/tld.h
INSTALL_HDRS_BPF := bpf/uls.bpf.h bpf/uls_key.bpf.h bpf/tld.bpf.h kfuncs/uls_kfuncs.h
# Whatever man pages man/ holds, each in its section's directory.
MAN_PAGES := $(wildcard man/*.[1-8])

# uls.pc names the directories it is installed for, relative to prefix
# where they lie below it. Made anew whenever that or the version changes.
pc-dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
$(O)/user/uls.pc: user/lib/uls.pc.in FORCE
	$(Q)mkdir -p $(@D) && sed -e 's|@PREFIX@|$(PREFIX)|' \
		-e 's|@LIBDIR@|$(call pc-dir,$(LIBDIR))|' \
		-e 's|@INCLUDEDIR@|$(call pc-dir,$(INCLUDEDIR))|' \
		-e 's|@VERSION@|$(VERSION)|' $< > $@.tmp && \
		if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# Installed into the live system by root, the loader's cache is made
# anew, so that programs find libuls.so.X at once; a staging root's
# (DESTDIR) is the package manager's to make.
install: $(LIBULS_SHARED) $(O)/user/libuls.a $(O)/user/uls.pc $(INSTALL_ULSCTL)
	$(INSTALL) -D -m 0755 $(LIBULS_SO) $(DESTDIR)$(LIBDIR)/$(notdir $(LIBULS_SO))
	ln -sf $(notdir $(LIBULS_SO)) $(DESTDIR)$(LIBDIR)/$(LIBULS_SONAME)
	ln -sf $(LIBULS_SONAME) $(DESTDIR)$(LIBDIR)/libuls.so
	$(INSTALL) -D -m 0644 $(O)/user/libuls.a $(DESTDIR)$(LIBDIR)/libuls.a
	$(INSTALL) -D -m 0644 $(O)/user/uls.pc $(DESTDIR)$(PKGCONFIGDIR)/uls.pc
	$(INSTALL) -D -m 0644 user/lib/uls.h $(DESTDIR)$(INCLUDEDIR)/uls.h
	$(INSTALL) -D -m 0644 include/uapi/linux/uls.h $(DESTDIR)$(INCLUDEDIR)/linux/uls.h
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/uls/bpf
	$(INSTALL) -m 0644 $(INSTALL_HDRS_ULS) $(DESTDIR)$(INCLUDEDIR)/uls/
	$(INSTALL) -m 0644 $(INSTALL_HDRS_BPF) $(DESTDIR)$(INCLUDEDIR)/uls/bpf/
	for m in $(MAN_PAGES); do \
		$(INSTALL) -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	$(INSTALL) -D -m 0755 $(INSTALL_ULSCTL) $(DESTDIR)$(SBINDIR)/ulsctl
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
		echo "$(LDCONFIG)"; $(LDCONFIG); fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(notdir $(LIBULS_SO)) $(LIBULS_SONAME) \
		libuls.so libuls.a) \
		$(DESTDIR)$(PKGCONFIGDIR)/uls.pc $(DESTDIR)$(INCLUDEDIR)/uls.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/uls.h \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/uls/,$(notdir $(INSTALL_HDRS_ULS))) \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/uls/bpf/,$(notdir $(INSTALL_HDRS_BPF))) \
		$(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(DESTDIR)$(SBINDIR)/ulsctl
	rmdir $(DESTDIR)$(INCLUDEDIR)/uls/bpf $(DESTDIR)$(INCLUDEDIR)/uls 2>/dev/null || true

# A make install into a temporary root, checked as a user of it would:
# the files, the symlinks and soname, pkg-config, and C, C++ and BPF
# programs built against the installed files only (tests/install/run.sh).
# It installs what it needs on the host first, as check does.
check-install:
	tests/setup-host.sh
	$(MAKE) check-install-run O=$(O)

check-install-run: $(O)/include/vmlinux.h
	tests/install/run.sh $(O)/include/vmlinux.h

clean:
	rm -rf $(O)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
