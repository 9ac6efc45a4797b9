#!/bin/sh
# Install what tests/deps.txt lists. As root, missing packages are installed with
# apt-get; as another user, the missing ones are named and the script fails.
set -eu
here=$(dirname "$0")
pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/deps.txt")
missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "gpt-bootcfg: missing Debian packages:$missing" >&2
	echo "gpt-bootcfg: install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "gpt-bootcfg: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
