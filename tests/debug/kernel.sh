#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh ROOT SOURCE-PACKAGE FRAGMENT
#
# Print the directory of a built kernel tree (KDIR): Debian's SOURCE-PACKAGE
# (linux-source-6.1), installed in the chroot ROOT (tests/matrix/chroot.sh,
# never on the host), configured as `make ARCH=x86_64 tinyconfig` plus
# FRAGMENT (debug.config next to this script), built in place.
# It holds the bzImage to boot (arch/x86/boot/bzImage), the vmlinux whose
# BTF is the base of the module's, and what `make -C KDIR M=...` needs.
#
# The tree is built once and cached in
#   ${ULS_CACHE:-$HOME/.cache/uls}/debug-kernel/KEY/linux
# KEY hashes the fragment, the source package and its version, the gcc and
# pahole versions (they make the code and the BTF: a module must be built
# with the compiler its kernel was). A tree is reused only once its build
# finished (the stamp "done" next to it); trees unused for 14 days are
# removed. Progress goes to stderr, the build's output to KEY/build.log.
set -eu

me=${0##*/}
if [ $# -ne 3 ]; then
	echo "usage: $me ROOT SOURCE-PACKAGE FRAGMENT" >&2
	exit 2
fi
root=$1
srcpkg=$2
fragment=$3
# Run from make check: the kernel's make must not inherit our make's flags
# (jobserver, -w) nor an output directory meant for something else.
unset MAKEFLAGS MFLAGS MAKELEVEL KBUILD_OUTPUT
tarball=$root/usr/src/$srcpkg.tar.xz

die() {
	echo "$me: $*" >&2
	exit 1
}

[ -r "$fragment" ] || die "$fragment: not readable"
[ -r "$tarball" ] || die "$tarball: missing (install $srcpkg in $root)"
srcver=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "$srcpkg") ||
	die "$srcpkg is not installed in $root"
command -v pahole >/dev/null || die "pahole missing (apt-get install dwarves)"

key=$({
	cat "$fragment"
	echo "$srcpkg $srcver"
	gcc -dumpfullversion
	pahole --version
} | sha256sum | cut -c1-16)
cache=${ULS_CACHE:-$HOME/.cache/uls}/debug-kernel
dir=$cache/$key
tree=$dir/linux
mkdir -p "$cache"

# Two runs at once (two worktrees, make -j) must not build one tree twice.
exec 9>"$dir.lock"
flock 9

if [ -e "$dir/done" ]; then
	touch "$dir/done"
	echo "$me: cached debug kernel $key ($(cat "$tree/include/config/kernel.release"))" >&2
	echo "$tree"
	exit 0
fi

# Only a finished tree is worth keeping: start from a fresh one.
rm -rf "$dir"
mkdir -p "$dir"
log=$dir/build.log
start=$(date +%s)
echo "$me: building debug kernel $key from $srcpkg $srcver (log: $log)" >&2
tar -xf "$tarball" -C "$dir"
mv "$dir/$srcpkg" "$tree"

# The fragment goes where `make NAME.config` finds it; that target merges
# it into .config and runs olddefconfig.
cp "$fragment" "$tree/kernel/configs/uls-debug.config"
make -C "$tree" ARCH=x86_64 tinyconfig > "$log" 2>&1 ||
	die "tinyconfig failed, see $log"
make -C "$tree" ARCH=x86_64 uls-debug.config >> "$log" 2>&1 ||
	die "merging $fragment failed, see $log"

# Kconfig drops a symbol whose dependencies are not met without a word:
# every line of the fragment must be in .config as written.
missing=
while IFS= read -r line; do
	case $line in
	'# CONFIG_'*' is not set') ;;
	''|'#'*) continue ;;
	esac
	grep -qxF "$line" "$tree/.config" || missing="$missing
  $line"
done < "$fragment"
[ -z "$missing" ] ||
	die "not in the kernel's .config after olddefconfig (a dependency is missing?):$missing"

if ! make -C "$tree" ARCH=x86_64 -j"$(nproc)" all >> "$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "kernel build failed, see $log"
fi
for f in vmlinux arch/x86/boot/bzImage Module.symvers; do
	[ -s "$tree/$f" ] || die "the build made no $f, see $log"
done
readelf -S "$tree/vmlinux" | grep -q ' \.BTF ' ||
	die "$tree/vmlinux has no .BTF section"

touch "$dir/done"
echo "$me: built debug kernel $key ($(cat "$tree/include/config/kernel.release")) in $(( $(date +%s) - start )) s, $(du -sh "$dir" | cut -f1)" >&2

# Trees of older fragments take GBs each; drop those nobody used lately.
for old in "$cache"/*/done; do
	[ -e "$old" ] || continue
	case $old in "$dir"/*) continue ;; esac
	if [ -n "$(find "$old" -mtime +14)" ]; then
		rm -rf "${old%/done}" "${old%/done}.lock"
	fi
done
echo "$tree"
