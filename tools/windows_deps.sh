#!/usr/bin/env bash
# Builds the daemon's dependencies for 64-bit Windows (mingw-w64) from
# Debian's own source packages: Debian ships no mingw builds of gRPC,
# protobuf or FFmpeg, but `apt-get source` fetches exactly the versions the
# Linux build links, from the archive the machine already uses.
#
#   tools/windows_deps.sh           # build (or reuse) the prefix, print its path last
#   tools/windows_deps.sh --prefix  # print the prefix if it is complete, else exit 1
#
# The prefix lives under $DISCREC_WINDOWS_DEPS (default ~/.cache/discrec/
# windows-deps) in a directory named after a key of the source versions, the
# compiler and this script, so a Debian point release or a changed recipe
# builds a new one and an unchanged one is reused as is. Compiles go through
# ccache. What comes from where:
#   zlib                      Debian's libz-mingw-w64-dev (already a mingw build)
#   openssl, c-ares, abseil,  apt-get source, built static here
#   re2, protobuf, grpc,
#   ffmpeg (demux/remux only)
#   googletest                /usr/src/googletest (Debian's googletest package)
#   CLI11, toml++, Boost      header-only: Debian's headers, copied or linked
# protoc and grpc_cpp_plugin run on the host: Debian's, the same versions.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DISCREC_WINDOWS_DEPS:-$HOME/.cache/discrec/windows-deps}
JOBS=${JOBS:-$(nproc)}
HOST=x86_64-w64-mingw32
TOOLCHAIN=$SRC/cmake/toolchain-mingw-w64.cmake
# Bump when a recipe below changes in a way that changes what is built.
RECIPE=2
PACKAGES=(openssl c-ares abseil re2 protobuf grpc ffmpeg)

# From the release's own archive (bookworm): the security archive's mirror
# here serves binaries but not always their sources.
SUITE=${DISCREC_DEB_SUITE:-$(. /etc/os-release && echo "$VERSION_CODENAME")}
source_version() {  # the .dsc apt-get source would fetch, e.g. grpc_1.51.1-3.dsc
  apt-get source --print-uris -qq "$1/$SUITE" 2>/dev/null | grep -o "[^/ ]*\.dsc'" | tr -d "'"
}

# The key: every source version, the compiler, the recipe.
key() {
  {
    for p in "${PACKAGES[@]}"; do echo "$p $(source_version "$p")"; done
    echo "googletest $(dpkg-query -W -f '${Version}' googletest 2>/dev/null || echo none)"
    echo "zlib $(dpkg-query -W -f '${Version}' libz-mingw-w64-dev 2>/dev/null || echo none)"
    "$HOST-g++-posix" --version | head -1
    echo "recipe $RECIPE"
  } | sha256sum | cut -c1-16
}

ensure_deb_src() {
  if ! apt-cache showsrc grpc 2>/dev/null | grep -q '^Version:'; then
    [ "$(id -u)" = 0 ] || { echo "windows deps: needs deb-src lines (run as root once, or add them)"; exit 1; }
    # The same archive the machine installs from, as sources (deb822 or
    # one-line format).
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed -n 's/^Types: deb$/Types: deb-src/p; /^URIs:/p; /^Suites:/p; /^Components:/p; /^Signed-By:/p; /^$/p' \
        /etc/apt/sources.list.d/debian.sources >/etc/apt/sources.list.d/discrec-deb-src.sources
    else
      sed -n 's/^deb \(.*debian.*\)$/deb-src \1/p' /etc/apt/sources.list >/etc/apt/sources.list.d/discrec-deb-src.list
    fi
    apt-get update -qq
  fi
}

# Header-only libraries: Debian's headers serve any target, taken as they
# are installed now (not part of the key; refreshed on every run): CLI11
# (with its CMake config), toml++, Boost (Asio and Beast; found with
# Boost_NO_BOOST_CMAKE and Boost_INCLUDE_DIR=<prefix>/include).
header_only() {
  for h in CLI toml++ boost; do
    [ -d "/usr/include/$h" ] || { echo "windows deps: /usr/include/$h missing (packages.txt)"; exit 1; }
  done
  mkdir -p "$1/include" "$1/share/cmake"
  rm -rf "${1:?}/include/CLI" "$1/include/toml++" "$1/share/cmake/CLI11"
  cp -r /usr/include/CLI /usr/include/toml++ "$1/include/"
  cp -r /usr/share/cmake/CLI11 "$1/share/cmake/CLI11"
  ln -sfn /usr/include/boost "$1/include/boost"
}

if [ "${1:-}" = --prefix ]; then
  PREFIX=$CACHE/$(key)
  [ -f "$PREFIX/.complete" ] && { echo "$PREFIX"; exit 0; }
  exit 1
fi

command -v "$HOST-g++-posix" >/dev/null || { echo "windows deps: needs mingw-w64"; exit 1; }
# What the source builds need besides the compilers (packages.txt has them).
for p in dpkg-dev unicode-data; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "windows deps: install$missing first"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
ensure_deb_src
KEY=$(key)
PREFIX=$CACHE/$KEY
if [ -f "$PREFIX/.complete" ]; then
  header_only "$PREFIX"
  echo "$PREFIX"
  exit 0
fi
WORK=$CACHE/work-$KEY
mkdir -p "$PREFIX" "$WORK"
exec 9>"$CACHE/.lock-$KEY"
flock 9
LOG=$WORK/log
step() { echo "=== windows deps: $* ($(date +%T))"; }
START=$(date +%s)

CM=(-G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DDISCREC_MINGW_PREFIX="$PREFIX" -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_PREFIX_PATH="$PREFIX" -DBUILD_SHARED_LIBS=OFF
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_STANDARD=17
    -DCMAKE_POSITION_INDEPENDENT_CODE=OFF)

fetch() {  # fetch <package>: unpacked, Debian's patches applied; prints the directory
  local dir
  dir=$(find "$WORK" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1)
  if [ -z "$dir" ]; then
    (cd "$WORK" && apt-get source -qq "$1/$SUITE" >>"$LOG" 2>&1) || { tail -20 "$LOG"; exit 1; }
    dir=$(find "$WORK" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1)
  fi
  echo "$dir"
}

cmake_package() {  # cmake_package <name> <source dir> <options...>
  local name=$1 dir=$2; shift 2
  [ -f "$WORK/$name.done" ] && return
  step "$name"
  cmake -S "$dir" -B "$WORK/build-$name" "${CM[@]}" "$@" >>"$LOG" 2>&1 || { tail -40 "$LOG"; exit 1; }
  cmake --build "$WORK/build-$name" -j "$JOBS" --target install >>"$LOG" 2>&1 || { tail -60 "$LOG"; exit 1; }
  touch "$WORK/$name.done"
}

# OpenSSL: gRPC's TLS (the daemon's TCP listener); libraries only.
if [ ! -f "$WORK/openssl.done" ]; then
  step openssl
  d=$(fetch openssl)
  # No --cross-compile-prefix: it would be put in front of "ccache".
  (cd "$d" && ./Configure mingw64 no-shared no-tests no-dso no-engine \
      --prefix="$PREFIX" --libdir=lib CC="ccache $HOST-gcc-posix" CXX="ccache $HOST-g++-posix" \
      AR="$HOST-ar" RANLIB="$HOST-ranlib" RC="$HOST-windres" >>"$LOG" 2>&1 &&
   make -j "$JOBS" build_libs >>"$LOG" 2>&1 && make install_dev >>"$LOG" 2>&1) || { tail -40 "$LOG"; exit 1; }
  touch "$WORK/openssl.done"
fi

# c-ares 1.18.1 uses INADDRSZ, which only <arpa/nameser.h> defines (upstream
# fixed it in 1.19.0): given here for Windows.
cmake_package c-ares "$(fetch c-ares)" -DCMAKE_C_FLAGS="-D_WIN32_WINNT=0x0601 -DINADDRSZ=4" -DCARES_STATIC=ON -DCARES_SHARED=OFF -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF
cmake_package abseil "$(fetch abseil)" -DABSL_PROPAGATE_CXX_STD=ON -DABSL_BUILD_TESTING=OFF -DBUILD_TESTING=OFF
# Debian's re2 source (+dfsg) drops the generated Unicode tables; its build
# makes them from unicode-data, and so does this one.
RE2=$(fetch re2)
if [ ! -f "$RE2/re2/unicode_groups.cc" ]; then
  make -C "$RE2" REBUILD_TABLES=1 re2/perl_groups.cc re2/unicode_casefold.cc re2/unicode_groups.cc >>"$LOG" 2>&1 ||
    { tail -20 "$LOG"; exit 1; }
fi
cmake_package re2 "$RE2" -DRE2_BUILD_TESTING=OFF
# libprotoc too: gRPC's plugin support library links it whenever its codegen
# is on, which the reflection service (grpc++_reflection) needs.
cmake_package protobuf "$(fetch protobuf)" -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
  -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_LIBPROTOC=ON
# gRPC: every dependency from the prefix (or Debian's mingw zlib); its own
# generated code (reflection) with the host's protoc and plugin.
cmake_package grpc "$(fetch grpc)" -DgRPC_INSTALL=ON -DgRPC_BUILD_TESTS=OFF -DgRPC_BUILD_CODEGEN=ON \
  -DgRPC_BUILD_GRPC_CPP_PLUGIN=OFF -DgRPC_BUILD_GRPC_CSHARP_PLUGIN=OFF -DgRPC_BUILD_GRPC_NODE_PLUGIN=OFF \
  -DgRPC_BUILD_GRPC_OBJECTIVE_C_PLUGIN=OFF -DgRPC_BUILD_GRPC_PHP_PLUGIN=OFF -DgRPC_BUILD_GRPC_PYTHON_PLUGIN=OFF \
  -DgRPC_BUILD_GRPC_RUBY_PLUGIN=OFF -DgRPC_BUILD_CSHARP_EXT=OFF \
  -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package -DgRPC_PROTOBUF_PROVIDER=package \
  -DgRPC_RE2_PROVIDER=package -DgRPC_SSL_PROVIDER=package -DgRPC_ZLIB_PROVIDER=package \
  -DOPENSSL_ROOT_DIR="$PREFIX" -DOPENSSL_USE_STATIC_LIBS=ON \
  -D_gRPC_PROTOBUF_PROTOC_EXECUTABLE=/usr/bin/protoc -D_gRPC_CPP_PLUGIN=/usr/bin/grpc_cpp_plugin \
  -DProtobuf_PROTOC_EXECUTABLE=/usr/bin/protoc

# FFmpeg: what the ingest remuxes — transport stream in and out, the
# elementary-stream parsers and bit-stream filters the MPEG-TS muxer needs,
# the network protocols of the source policy, and the audio decoders
# avformat_find_stream_info needs to learn an audio stream's parameters
# (without them an AAC track stays "parameters unknown"). No video
# decoders (the parsers read the sequence headers), no encoders.
if [ ! -f "$WORK/ffmpeg.done" ]; then
  step ffmpeg
  d=$(fetch ffmpeg)
  mkdir -p "$WORK/build-ffmpeg"
  (cd "$WORK/build-ffmpeg" && "$d/configure" --prefix="$PREFIX" --target-os=mingw32 --arch=x86_64 \
      --cross-prefix="$HOST-" --cc="ccache $HOST-gcc-posix" --enable-static --disable-shared \
      --disable-programs --disable-doc --disable-debug --disable-autodetect --enable-w32threads --disable-x86asm \
      --disable-everything --enable-network \
      --enable-demuxer=mpegts,mpegtsraw,rtsp,rtp,sdp,h264,hevc,mov,matroska,flv,aac,ac3,mp3 \
      --enable-muxer=mpegts \
      --enable-parser=h264,hevc,mpegvideo,mpeg4video,aac,aac_latm,ac3,mpegaudio,opus,dvbsub \
      --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,aac_adtstoasc \
      --enable-decoder=aac,aac_latm,ac3,eac3,mp2,mp3,opus \
      --enable-protocol=file,pipe,udp,rtp,tcp,http --disable-avdevice --disable-swscale \
      --disable-swresample --disable-avfilter --disable-postproc >>"$LOG" 2>&1 &&
   make -j "$JOBS" >>"$LOG" 2>&1 && make install >>"$LOG" 2>&1) || { tail -40 "$LOG"; exit 1; }
  touch "$WORK/ffmpeg.done"
fi

cmake_package googletest /usr/src/googletest -Dgtest_force_shared_crt=ON

header_only "$PREFIX"
SECONDS_TAKEN=$(($(date +%s) - START))
echo "built in ${SECONDS_TAKEN}s with $JOBS jobs on $(date +%F)" >"$PREFIX/.complete"
step "done in ${SECONDS_TAKEN}s"
rm -rf "$WORK"
echo "$PREFIX"
