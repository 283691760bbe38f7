#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh VMLINUX_H
#
# make install as a user or a package runs it, into a temporary root
# (DESTDIR, PREFIX=/usr, a build directory of its own), then what a user
# of the installed files does with them:
#   - the files are exactly the agreed layout: libuls.so.X.Y.Z <- .so.X
#     <- .so and its soname, libuls.a, the headers, uls.pc, the man pages
#     of man/, ulsctl; nothing else (no test or example programs);
#   - it needs no clang or bpftool (CLANG and BPFTOOL point nowhere),
#     and, with or without them, no libelf, zlib or libzstd to link with
#     (a library directory first in the search path hides them): the
#     installed ulsctl is linked against the installed libuls.so.X and,
#     where clang and bpftool built its event feed, the system's
#     libbpf.so; it runs, and says whether it has the feed;
#   - pkg-config finds uls at the version of include/uls/version.h, and
#     the man pages' .TH lines name that version;
#   - a C and a C++ program (prog.c, prog.cc) and a static C one build
#     through pkg-config against the installed files only, and their
#     --version (no module needed) reports the installed library's;
#   - a BPF program (prog.bpf.c) builds with clang -target bpf, uls.pc's
#     bpfincludedir and Cflags, and VMLINUX_H;
#   - LIBDIR, INCLUDEDIR, SBINDIR, MANDIR and PKGCONFIGDIR are honoured
#     (BINDIR too, and nothing goes there),
#     and uls.pc follows them;
#   - make uninstall leaves nothing; make dkms-src fills in the version;
#   - scripts/check-abi.sh passes on the library as linked, and fails on
#     each kind of disagreement of the API, the map and the library;
#   - debian/copyright gives each file the licence of its SPDX line, in
#     a form lintian takes (licences.sh).
# Prints "ok NAME" or "not ok NAME # why" for each, and "N passed, N
# failed" last; exit status 1 if any failed. make check-install runs it.
set -u

if [ $# -ne 1 ]; then
	echo "usage: ${0##*/} VMLINUX_H" >&2
	exit 2
fi
vmlinux_h=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uls-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok $1 # $2"; failed=$((failed + 1)); }
# check NAME WHY CMD...: ok when CMD succeeds.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi
}

# Our make, without the flags of a make that runs this one.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$top" "$@"
}
version=$(mk -s version)
major=${version%%.*}
root=$tmp/root
build=$tmp/build
log=$tmp/log
mkdir -p "$tmp/src" "$log"
# The programs away from the tree, so that nothing of it is in reach.
cp "$here/prog.c" "$here/prog.cc" "$here/prog.bpf.c" "$tmp/src/"

# A library directory that stands for a host with a C compiler and
# libbpf-dev only: its libelf, libz and libzstd (.a and .so) are linker
# scripts naming a file that is nowhere, so a link that takes any of them
# fails, as it would without libelf-dev, zlib1g-dev or libzstd-dev.
# make install runs with it first in the search path (LDFLAGS=-L...).
nodev=$tmp/no-dev
mkdir -p "$nodev"
for l in elf z zstd; do
	for e in a so; do
		echo "INPUT(uls-check-install-no-lib$l-dev)" > "$nodev/lib$l.$e"
	done
done
echo 'int main(void) { return 0; }' > "$tmp/empty.c"
if cc -static -o "$tmp/empty" "$tmp/empty.c" -L"$nodev" -lzstd > /dev/null 2>&1; then
	not_ok no_dev_libs "-L$nodev does not hide libzstd: the install tests below prove less"
else
	ok no_dev_libs
fi

# --- make install ------------------------------------------------------
if mk install DESTDIR="$root" PREFIX=/usr O="$build" LDFLAGS="-L$nodev" \
	CLANG="$tmp/none/clang" BPFTOOL="$tmp/none/bpftool" > "$log/install" 2>&1; then
	ok install_without_clang_bpftool
else
	not_ok install_without_clang_bpftool "$(tail -n 1 "$log/install")"
	# The rest still has something to look at.
	rm -rf "$root"
	if ! mk install DESTDIR="$root" PREFIX=/usr O="$build" > "$log/install" 2>&1; then
		not_ok install "$(tail -n 1 "$log/install")"
		echo "$passed passed, $failed failed"
		exit 1
	fi
fi

# --- the files ---------------------------------------------------------
{
	echo usr/include/linux/uls.h
	echo usr/include/uls.h
	for h in hint key_layout sched_events tld version; do
		echo "usr/include/uls/$h.h"
	done
	for h in tld.bpf uls.bpf uls_key.bpf uls_kfuncs; do
		echo "usr/include/uls/bpf/$h.h"
	done
	echo usr/lib/libuls.a
	echo usr/lib/libuls.so
	echo "usr/lib/libuls.so.$major"
	echo "usr/lib/libuls.so.$version"
	echo usr/lib/pkgconfig/uls.pc
	echo usr/sbin/ulsctl
	for m in "$top"/man/*.[1-8]; do
		[ -e "$m" ] || continue
		echo "usr/share/man/man${m##*.}/${m##*/}"
	done
} | LC_ALL=C sort > "$tmp/files.expected"
(cd "$root" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort) > "$tmp/files.installed"
if cmp -s "$tmp/files.expected" "$tmp/files.installed"; then
	ok files
else
	extra=$(LC_ALL=C comm -13 "$tmp/files.expected" "$tmp/files.installed" | paste -sd' ')
	missing=$(LC_ALL=C comm -23 "$tmp/files.expected" "$tmp/files.installed" | paste -sd' ')
	not_ok files "extra: ${extra:-none}; missing: ${missing:-none}"
fi

# The man pages' .TH names the release ("uls X.Y.Z", its fourth
# argument), a copy of include/uls/version.h's version: it must be that.
man_bad=
for m in "$root"/usr/share/man/man[1-8]/*; do
	# A page that is a .so line has no .TH.
	if [ ! -f "$m" ] || ! grep -q '^\.TH ' "$m"; then
		continue
	fi
	src=$(sed -nE 's/^\.TH[[:space:]]+[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+("[^"]*"|[^[:space:]"]+)[[:space:]]+"([^"]*)".*/\2/p' \
		"$m" | head -n 1)
	[ "$src" = "uls $version" ] || man_bad="$man_bad ${m##*/} (${src:-no source field})"
done
check man_version "not \"uls $version\" in .TH:$man_bad" test -z "$man_bad"

lib=$root/usr/lib
chain=$(readlink "$lib/libuls.so")/$(readlink "$lib/libuls.so.$major")
check symlinks "libuls.so -> libuls.so.$major -> libuls.so.$version, found $chain" \
	test "$chain" = "libuls.so.$major/libuls.so.$version" \
	-a -f "$lib/libuls.so.$version" -a ! -L "$lib/libuls.so.$version"
soname=$(readelf -d "$lib/libuls.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
check soname "soname \"$soname\", not libuls.so.$major" test "$soname" = "libuls.so.$major"

# ulsctl_links NAME ROOT EVENTS: ROOT's ulsctl needs libuls.so.X, and
# libbpf.so.N where EVENTS is true, never libbpf otherwise; it runs
# against ROOT's libuls (no module needed for -V), which is the installed
# release, and its -V says whether it has the event feed (EVENTS).
ulsctl_links() {
	local name=$1 r=$2 events=$3 dyn out want
	dyn=$(readelf -d "$r/usr/sbin/ulsctl" 2>&1)
	if ! grep -q "Shared library: \[libuls.so.$major\]" <<< "$dyn"; then
		not_ok "$name" "ulsctl does not need libuls.so.$major: $(grep -c NEEDED <<< "$dyn") NEEDED"
		return
	fi
	if [ "$events" = true ] && ! grep -q 'Shared library: \[libbpf\.so\.' <<< "$dyn"; then
		not_ok "$name" "ulsctl with the event feed does not need libbpf.so"
		return
	fi
	if [ "$events" = false ] && grep -q 'libbpf' <<< "$dyn"; then
		not_ok "$name" "ulsctl without the event feed needs libbpf"
		return
	fi
	out=$(LD_LIBRARY_PATH=$r/usr/lib "$r/usr/sbin/ulsctl" -j -V 2>&1)
	want="\"libuls\":\"$version\",.*\"features\":{\"events\":$events}"
	check "$name" "ulsctl -j -V: $out" eval 'grep -q "$want" <<< "$out"'
}
ulsctl_links ulsctl_without_clang_bpftool "$root" false

# --- make install with clang and bpftool ---------------------------------
# Where they are there, ulsctl is built with the event feed (which takes
# the running kernel's BTF too): still nothing to link but libuls and
# libbpf-dev's libbpf.so.
if ! command -v clang > /dev/null || ! command -v bpftool > /dev/null ||
	[ ! -e /sys/kernel/btf/vmlinux ]; then
	ok "install_with_clang_bpftool # SKIP no clang, bpftool or /sys/kernel/btf/vmlinux"
elif mk install DESTDIR="$tmp/root-bpf" PREFIX=/usr O="$tmp/build-bpf" LDFLAGS="-L$nodev" \
	> "$log/install-bpf" 2>&1; then
	ok install_with_clang_bpftool
	ulsctl_links ulsctl_with_clang_bpftool "$tmp/root-bpf" true
else
	not_ok install_with_clang_bpftool "$(grep -m 1 -e 'cannot find' -e 'rror' "$log/install-bpf" ||
		tail -n 1 "$log/install-bpf")"
fi

# --- pkg-config --------------------------------------------------------
# As for a sysroot: the installed uls.pc, its paths under $root.
pc() {
	PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$root/usr/lib/pkgconfig \
		PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig pkg-config "$@"
}
pc_version=$(pc --modversion uls 2>&1)
check pkgconfig_version "pkg-config --modversion uls: $pc_version, not $version" \
	test "$pc_version" = "$version"
bpfinc=$(pc --variable=bpfincludedir uls)
check pkgconfig_bpfincludedir "bpfincludedir \"$bpfinc\" has no uls.bpf.h" \
	test -f "$bpfinc/uls.bpf.h" -a "$bpfinc" = "$root/usr/include/uls/bpf"

# only_installed DEPS: the headers a compiler read (its -M output) are
# the installed ones, and none of the tree's.
only_installed() {
	tr ' \\' '\n\n' < "$1" | grep -qx "$root/usr/include/uls.h" &&
		! tr ' \\' '\n\n' < "$1" | grep -q "^$top/"
}

# --- C, C++ --------------------------------------------------------------
# build NAME COMPILER SOURCE OUT [FLAGS...]: with -M first, then for real.
build() {
	local name=$1 cc=$2 src=$3 out=$4
	shift 4
	if ! $cc -Wall -Wextra -Werror -M "$src" "$@" > "$log/$name.deps" 2>&1; then
		not_ok "$name" "$(head -n 3 "$log/$name.deps" | paste -sd' ')"
		return 1
	fi
	if ! only_installed "$log/$name.deps"; then
		not_ok "$name" "not built from the installed headers (see $name.deps)"
		return 1
	fi
	if ! $cc -Wall -Wextra -Werror -o "$out" "$src" "$@" > "$log/$name" 2>&1; then
		not_ok "$name" "$(head -n 3 "$log/$name" | paste -sd' ')"
		return 1
	fi
	ok "$name"
}
# runs NAME PROG: its --version gives "<ULS_VERSION> <uls_version()>",
# both the installed release's; the dynamic ones load the installed
# libuls.so.X, bound to its versioned symbols.
runs() {
	local out
	out=$(LD_LIBRARY_PATH=$lib "$2" --version 2>&1)
	check "$1" "--version: \"$out\", not \"$version $version\"" \
		test "$out" = "$version $version"
}
# needs NAME PROG: PROG needs libuls.so.X, and its node ULS_X.Y.Z.
needs() {
	local dyn
	dyn=$(readelf -d -V "$2" 2>&1)
	check "$1" "no NEEDED libuls.so.$major or no ULS_ version needed" \
		eval 'grep -q "Shared library: \[libuls.so.$major\]" <<< "$dyn" &&
			grep -q "Name: ULS_[0-9]" <<< "$dyn"'
}

if build c_program cc "$tmp/src/prog.c" "$tmp/prog" $(pc --cflags --libs uls); then
	needs c_program_needs_libuls "$tmp/prog"
	runs c_program_runs "$tmp/prog"
fi
if build c_program_static cc "$tmp/src/prog.c" "$tmp/prog-static" -static \
	$(pc --static --cflags --libs uls); then
	check c_program_static_no_libuls_so "a static program needs a shared libuls" \
		eval '! readelf -d "$tmp/prog-static" 2>/dev/null | grep -q libuls'
	runs c_program_static_runs "$tmp/prog-static"
fi
if build cxx_program g++ "$tmp/src/prog.cc" "$tmp/prog-cxx" $(pc --cflags --libs uls); then
	needs cxx_program_needs_libuls "$tmp/prog-cxx"
	runs cxx_program_runs "$tmp/prog-cxx"
fi

# --- BPF -----------------------------------------------------------------
# vmlinux.h copied out of the tree: the build directory may be inside it
# (O=build), and beside vmlinux.h are the tree's generated headers.
mkdir -p "$tmp/vmlinux"
bpf_flags="-g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$tmp/vmlinux -I$bpfinc $(pc --cflags uls)"
if ! cp "$vmlinux_h" "$tmp/vmlinux/vmlinux.h" 2>/dev/null; then
	not_ok bpf_program "no $vmlinux_h"
elif ! clang $bpf_flags -M "$tmp/src/prog.bpf.c" > "$log/bpf.deps" 2>&1; then
	not_ok bpf_program "$(head -n 3 "$log/bpf.deps" | paste -sd' ')"
elif ! grep -q "$bpfinc/uls.bpf.h" "$log/bpf.deps" || grep -q "$top/" "$log/bpf.deps"; then
	not_ok bpf_program "not built from the installed headers (see bpf.deps)"
elif ! clang $bpf_flags -c "$tmp/src/prog.bpf.c" -o "$tmp/prog.bpf.o" > "$log/bpf" 2>&1; then
	not_ok bpf_program "$(head -n 3 "$log/bpf" | paste -sd' ')"
else
	ok bpf_program
fi

# --- the directories -------------------------------------------------------
# Each variable somewhere of its own; INCLUDEDIR outside PREFIX, so that
# uls.pc names it as it is, and LIBDIR inside it, as ${prefix}/...
root2=$tmp/root2
if mk install DESTDIR="$root2" PREFIX=/opt/uls LIBDIR=/opt/uls/lib64 INCLUDEDIR=/opt/inc \
	BINDIR=/opt/uls/bin SBINDIR=/opt/uls/admin MANDIR=/opt/uls/doc PKGCONFIGDIR=/opt/pc \
	O="$build" > "$log/install2" 2>&1; then
	flags=$(PKG_CONFIG_SYSROOT_DIR=$root2 PKG_CONFIG_PATH=$root2/opt/pc \
		PKG_CONFIG_LIBDIR=$root2/opt/pc pkg-config --cflags --libs uls 2>&1)
	pc_libdir=$(sed -n 's/^libdir=//p' "$root2/opt/pc/uls.pc")
	check install_dirs "files or uls.pc not where asked (pkg-config: $flags; libdir=$pc_libdir)" \
		eval '[[ -f $root2/opt/uls/lib64/libuls.so.$version &&
			-f $root2/opt/inc/uls/bpf/uls.bpf.h && -f $root2/opt/uls/admin/ulsctl &&
			$(echo $flags) == "-I$root2/opt/inc -L$root2/opt/uls/lib64 -luls" &&
			$pc_libdir == "\${prefix}/lib64" ]]'
	# BINDIR is accepted, and nothing goes there (ulsctl is in SBINDIR).
	check install_bindir_unused "make install made BINDIR, /opt/uls/bin" \
		test ! -e "$root2/opt/uls/bin"
	if [ -d "$top/man" ] && ls "$top"/man/*.[1-8] > /dev/null 2>&1; then
		check install_mandir "no man page under MANDIR" \
			eval 'ls "$root2"/opt/uls/doc/man[1-8]/* > /dev/null 2>&1'
	fi
else
	not_ok install_dirs "$(tail -n 1 "$log/install2")"
fi

# --- make uninstall --------------------------------------------------------
if mk uninstall DESTDIR="$root" PREFIX=/usr O="$build" > "$log/uninstall" 2>&1; then
	left=$(cd "$root" && find . ! -type d | sed 's|^\./||' | paste -sd' ')
	check uninstall "left behind: $left" test -z "$left"
else
	not_ok uninstall "$(tail -n 1 "$log/uninstall")"
fi

# --- make dkms-src ---------------------------------------------------------
if mk dkms-src DESTDIR="$tmp/dkms" > "$log/dkms-src" 2>&1; then
	src=$tmp/dkms/usr/src/uls-$version
	check dkms_src "no $src with PACKAGE_VERSION=\"$version\" and include/uls/version.h" \
		eval 'grep -qx "PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" &&
			test -f "$src/include/uls/version.h" -a -f "$src/Kbuild"'
else
	not_ok dkms_src "$(tail -n 1 "$log/dkms-src")"
fi

# --- scripts/check-abi.sh ---------------------------------------------------
# The check that fails libuls.so's link when the API (ULS_API), the
# version script and the library disagree: it passes on what the build
# linked, and fails, naming the difference, on each kind of disagreement,
# given a changed copy of the map or fewer objects, against the same
# library.
abi_lib=$build/user/libuls.so.$version
abi_map=$top/user/lib/libuls.map
abi_objs=("$build"/user/pic/*.o)
# abi_case NAME RC WANT MAP OBJ...: check-abi.sh exits RC, and says WANT.
abi_case() {
	local name=$1 want_rc=$2 want=$3 m=$4 rc
	shift 4
	"$top/scripts/check-abi.sh" "$abi_lib" "$m" "$@" > "$log/$name" 2>&1
	rc=$?
	check "$name" "exit $rc, not $want_rc with \"$want\": $(head -n 1 "$log/$name")" \
		eval '[ $rc -eq $want_rc ] && { [ -z "$want" ] || grep -q -- "$want" "$log/$name"; }'
}
# abi_map NAME SED: a copy of libuls.map through sed SED.
abi_map() {
	sed "$2" "$abi_map" > "$tmp/$1.map"
	echo "$tmp/$1.map"
}
if [ ! -f "$abi_lib" ] || [ ! -f "$build/user/pic/monitor.o" ] ||
	! grep -q '^[[:space:]]*uls_fd;$' "$abi_map"; then
	not_ok check_abi "no $abi_lib, monitor.o or uls_fd in libuls.map to check against"
else
	abi_case check_abi_agree 0 '' "$abi_map" "${abi_objs[@]}"
	# ULS_API marks uls_fd, the library exports it: the map must list it.
	abi_case check_abi_map_lacks_symbol 1 'uls_fd has default visibility (ULS_API) but' \
		"$(abi_map lacks '/^[[:space:]]*uls_fd;$/d')" "${abi_objs[@]}"
	# A name in the map that no object defines (nor the library exports).
	abi_case check_abi_map_extra_symbol 1 'lists uls_check_abi_none, which no object' \
		"$(abi_map extra 's/^\([[:space:]]*\)uls_fd;$/&\n\1uls_check_abi_none;/')" \
		"${abi_objs[@]}"
	# uls_fd moved to a node of its own: the library has it in ULS_0.1.0.
	abi_case check_abi_symbol_in_other_node 1 "exports uls_fd (version ULS_$version), which" \
		"$(abi_map node '/^[[:space:]]*uls_fd;$/d; $a ULS_99.0.0 { global: uls_fd; } ULS_'"$version"';')" \
		"${abi_objs[@]}"
	# The objects without monitor.o: its ULS_API functions are in the map
	# and the library, but nothing marks them.
	abi_some=()
	for o in "${abi_objs[@]}"; do
		[[ $o == */monitor.o ]] || abi_some+=("$o")
	done
	abi_case check_abi_object_missing 1 'lists uls_monitor_open, which no object defines' \
		"$abi_map" "${abi_some[@]}"
	# A wildcard in global: would make the comparison mean nothing.
	abi_case check_abi_wildcard 1 'is not a plain name' \
		"$(abi_map wildcard 's/^\([[:space:]]*\)uls_fd;$/\1uls_*;/')" "${abi_objs[@]}"
	# And the Makefile runs it: linked with a map that lacks uls_fd,
	# libuls.so fails to build, and is not left behind.
	abi_build=$tmp/build-abi
	if mk O="$abi_build" LIBULS_MAP="$tmp/lacks.map" "$abi_build/user/libuls.so.$version" \
		> "$log/check-abi-build" 2>&1; then
		not_ok check_abi_fails_link "libuls.so linked with a map that lacks uls_fd"
	else
		check check_abi_fails_link "$(tail -n 1 "$log/check-abi-build")" \
			eval 'grep -q "uls_fd has default visibility" "$log/check-abi-build" &&
				[ ! -e "$abi_build/user/libuls.so.$version" ]'
	fi
fi

# --- debian/copyright ------------------------------------------------------
"$here/licences.sh" "$top" > "$log/licences" 2>&1
case $? in
0) ok debian_copyright ;;
2) ok "debian_copyright # SKIP $(tail -n 1 "$log/licences")" ;;
*) sed 's/^/# /' "$log/licences"
   not_ok debian_copyright "$(grep -c . "$log/licences") disagreements (above)" ;;
esac

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
