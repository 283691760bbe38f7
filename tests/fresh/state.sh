#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# state.sh
#
# Print what the tests must leave alone on the machine they run on, one
# fact a line, so that two snapshots compare with diff: the kernel images
# and headers installed, the apt sources, what is in /boot and
# /lib/modules, what DKMS knows of uls, and any package dpkg left
# half-configured.
set -u

echo "# kernel packages"
dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' \
	'linux-image-*' 'linux-headers-*' 2>/dev/null | grep -v '^u' | sort
echo "# apt sources"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
	[ -e "$f" ] || continue
	echo "$f $(md5sum < "$f" | cut -d' ' -f1)"
done
echo "# /boot"
ls -A /boot 2>/dev/null
echo "# /lib/modules"
ls -A /lib/modules 2>/dev/null
echo "# dkms"
if command -v dkms >/dev/null; then
	dkms status 2>/dev/null | grep -i uls
fi
ls -d /var/lib/dkms/uls /usr/src/uls-* 2>/dev/null
echo "# dpkg --audit"
dpkg --audit 2>&1
exit 0
