#!/usr/bin/env bash
# Installs the Debian packages from packages.txt that are not installed yet.
# An argument names another list (the Dockerfile passes tools/build-packages.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
list=${1:-$here/packages.txt}
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "All ${#wanted[@]} Debian packages are installed."
  exit 0
fi
echo "Installing ${#missing[@]} missing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
