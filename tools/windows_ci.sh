#!/usr/bin/env bash
# Cross-compiles device/, recorder/core and their tests for 64-bit Windows
# with Debian's mingw-w64 and runs the Windows tests (ctest -L windows) under
# wine. Used by ctest (windows_cross_wine) and by hand:
#   tools/windows_ci.sh            # build dir: build-mingw/ in the source tree
#   BUILD_MINGW=/tmp/x tools/windows_ci.sh
# Exit 77 (ctest: skipped) only when mingw-w64 or wine is not installed.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_MINGW:-$SRC/build-mingw}
JOBS=${JOBS:-$(nproc)}
HOST_TRIPLE=x86_64-w64-mingw32
CXX_MINGW=$HOST_TRIPLE-g++-posix
WINE=$(command -v wine64 || command -v wine || true)

if ! command -v "$CXX_MINGW" >/dev/null || [ -z "$WINE" ]; then
  echo "SKIP: needs mingw-w64 ($CXX_MINGW) and wine64/wine (apt-get install mingw-w64 wine64 wine)"
  exit 77
fi
mkdir -p "$BUILD"
# One cross build at a time per directory (ctest and a developer may race).
# Everything that may start wine closes fd 9 (9>&-): a wineserver that
# outlives the script must not keep holding the lock.
exec 9>"$BUILD/.lock"
flock 9

TOOLCHAIN=$SRC/cmake/toolchain-mingw-w64.cmake
GTEST_PREFIX=$BUILD/googletest-install
step() { echo "=== windows: $*"; }

# 0. Layouts on 32-bit Windows too: the static_asserts in cdrom_ioctl.h carry
#    the x86 offsets of MMC.md §15, checked by compiling the header alone.
if command -v i686-w64-mingw32-g++-posix >/dev/null; then
  step "x86 layout check (i686-w64-mingw32)"
  echo '#include "device/windows/cdrom_ioctl.h"' |
    i686-w64-mingw32-g++-posix -std=c++20 -fsyntax-only -I"$SRC" -x c++ -
fi

# 1. GoogleTest for the target (Debian ships no mingw build of it).
if [ ! -f "$GTEST_PREFIX/lib/cmake/GTest/GTestConfig.cmake" ]; then
  step "GoogleTest from /usr/src/googletest"
  cmake -S /usr/src/googletest -B "$BUILD/googletest-build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$GTEST_PREFIX" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -Dgtest_force_shared_crt=ON >"$BUILD/googletest.configure.log"
  cmake --build "$BUILD/googletest-build" -j "$JOBS" --target install >"$BUILD/googletest.build.log"
fi

# 2. discrec: device/ and recorder/core only (no daemon, FFmpeg or iSCSI).
step "configure $BUILD/discrec"
cmake -S "$SRC" -B "$BUILD/discrec" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DDISCREC_MINGW_PREFIX="$GTEST_PREFIX" \
  -DCMAKE_BUILD_TYPE=Release -DDISCREC_WITH_DAEMON=OFF -DDISCREC_WITH_FFMPEG=OFF \
  -DDISCREC_WITH_ISCSI=OFF -DDISCREC_BENCH=OFF >"$BUILD/discrec.configure.log" ||
  { cat "$BUILD/discrec.configure.log"; exit 1; }
step "build windows_tests"
cmake --build "$BUILD/discrec" -j "$JOBS" --target windows_tests

# 3. A private wine prefix, booted once (bounded: a first boot can hang on
#    a missing display or a slow disk).
export WINEPREFIX=$BUILD/wineprefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  step "wineboot ($WINEPREFIX)"
  timeout 180 "$WINE" wineboot --init >"$BUILD/wineboot.log" 2>&1 9>&- || {
    cat "$BUILD/wineboot.log"; echo "wineboot failed"; exit 1; }
  # Let the first boot finish in the background (it rewrites the service
  # database) before tests install services of their own.
  WINESERVER0=$(command -v wineserver || echo /usr/lib/wine/wineserver64)
  timeout 120 "$WINESERVER0" -w 9>&- || echo "warning: wine first boot still busy after 120 s"
fi
# Start wineserver and wine's own services (services.exe, winedevice, ...)
# once, up front, with their output detached: started by the first test
# instead, they would inherit that test's output pipe and ctest would wait
# for it to close until the timeout. They are ended with the script.
WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver64)
trap '"$WINESERVER" -k 9>&- >/dev/null 2>&1 || true' EXIT
"$WINESERVER" -p 60 9>&- </dev/null >/dev/null 2>&1 || true
timeout 120 "$WINE" cmd /c exit 9>&- </dev/null >/dev/null 2>&1 || echo "warning: wine warm-up did not finish"

step "ctest -L windows (under $WINE)"
ctest --test-dir "$BUILD/discrec" -L windows --output-on-failure -j "$JOBS" --timeout 300 9>&-

# 4. The full cross build, when tools/windows_deps.sh has built gRPC,
#    protobuf and FFmpeg for mingw (too long for every CI run: see README):
#    the API over loopback TCP and the FFmpeg ingest, under wine.
if ! PREFIX=$("$SRC/tools/windows_deps.sh" --prefix); then
  echo "SKIP: full Windows build (gRPC, protobuf, FFmpeg for mingw): no dependency prefix;" \
       "build it once with tools/windows_deps.sh (about 40 min cold on 2 cores)"
  exit 0
fi
"$SRC/tools/windows_deps.sh" >/dev/null  # refreshes the header-only libraries
FULL=$BUILD/full
step "configure $FULL (dependencies: $PREFIX)"
# Static OpenSSL and gRPC need the Winsock and crypto libraries after them
# on the link line; zlib static, not Debian's DLL import library.
SYSLIBS="-lws2_32 -lcrypt32 -lbcrypt -liphlpapi -ldbghelp -ladvapi32 -lkernel32 -luser32"
PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig cmake -S "$SRC" -B "$FULL" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DDISCREC_MINGW_PREFIX="$PREFIX" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=Release -DDISCREC_WITH_ISCSI=OFF -DDISCREC_BENCH=OFF \
  -DBoost_NO_BOOST_CMAKE=ON -DBoost_INCLUDE_DIR="$PREFIX/include" \
  -DZLIB_LIBRARY=/usr/$HOST_TRIPLE/lib/libz.a \
  -DCMAKE_CXX_STANDARD_LIBRARIES="$SYSLIBS" -DCMAKE_C_STANDARD_LIBRARIES="$SYSLIBS" \
  -DDISCREC_HOST_CLI="${DISCREC_HOST_CLI:-}" \
  >"$BUILD/full.configure.log" || { cat "$BUILD/full.configure.log"; exit 1; }
step "build windows_full_tests"
cmake --build "$FULL" -j "$JOBS" --target windows_full_tests
step "ctest -L windows_full (under $WINE)"
PKG_CONFIG_LIBDIR= ctest --test-dir "$FULL" -L windows_full --output-on-failure -j "$JOBS" --timeout 300 9>&-
