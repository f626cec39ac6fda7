#!/bin/sh
# docker_context_test.sh SOURCE_DIR: what `docker build .` would send stays
# small (the patterns of .dockerignore applied with find), the Dockerfile
# builds from the short package list and stops gracefully; with a reachable
# Docker engine (and DISCREC_DOCKER_BUILD not 0) the image is built as well.
set -eu
src=$1
limit_kib=$((50 * 1024))
fail() { echo "FAIL: $*"; exit 1; }
cd "$src"
[ -f .dockerignore ] || fail "no .dockerignore"
for must in build 'build-*' .git '**/*.img'; do
  grep -qxF "$must" .dockerignore || fail ".dockerignore does not exclude $must"
done

# .dockerignore patterns as find(1) expressions: "**/x" anywhere, others
# from the context root (enough for the patterns used; no "!" exceptions).
set --
while IFS= read -r pat; do
  case $pat in ''|'#'*) continue ;; '!'*) fail "'!' patterns are not handled here: $pat" ;; esac
  case $pat in
    '**/'*) set -- "$@" -name "${pat#\*\*/}" -o ;;
    *) set -- "$@" -path "./${pat%/}" -o ;;
  esac
done <.dockerignore
# Scratch build trees and images a developer leaves behind must stay out too.
tmp=$(mktemp -d "$src/build-dockerctx.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dd if=/dev/zero of="$tmp/big.bin" bs=1M count=1 seek=99 2>/dev/null
kib=$(find . \( "$@" -false \) -prune -o -type f -print0 | du --apparent-size -ck --files0-from=- 2>/dev/null | tail -n 1 | cut -f1)
echo "docker build context: ${kib} KiB (limit ${limit_kib} KiB)"
[ "$kib" -lt "$limit_kib" ] || {
  find . \( "$@" -false \) -prune -o -type f -size +1M -print
  fail "the docker build context is ${kib} KiB"
}

# The build stage installs the short list, which must stay part of packages.txt.
grep -q "install_packages.sh tools/build-packages.txt" Dockerfile || fail "the Dockerfile does not use tools/build-packages.txt"
for heavy in qemu-system-x86 linux-image-amd64 wine wine64 mingw-w64; do
  grep -qx "$heavy" tools/build-packages.txt && fail "tools/build-packages.txt installs $heavy"
done
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' tools/build-packages.txt | while read -r p; do
  grep -qx "$p" packages.txt || fail "$p is in tools/build-packages.txt but not in packages.txt"
done
grep -qx "STOPSIGNAL SIGTERM" Dockerfile || fail "no STOPSIGNAL SIGTERM"
grep -q "docker stop -t 60" Dockerfile || fail "the Dockerfile does not say how long a stop takes"

if [ "${DISCREC_DOCKER_BUILD:-1}" != 0 ] && command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; then
  tag=discrec-ctest:$$
  docker build -q -t "$tag" . || fail "docker build"
  docker image rm "$tag" >/dev/null || true
else
  echo "no Docker engine: the build context was checked, the image was not built"
fi
echo OK
