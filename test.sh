#!/usr/bin/env bash
# Runs the whole test suite with ctest:
#   build/        every test (unit, integration with tgtd/discrecd/ffmpeg, the
#                 Windows cross builds under wine, ...)
#   build-asan/   unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   build-tsan/   the writer path's threaded tests under ThreadSanitizer
#   build-fuzz/   each libFuzzer target for a short bounded time (clang)
# Exits non-zero if any suite fails; prints ctest's summary for each.
set -uo pipefail
cd "$(dirname "$0")"
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
export FUZZ_SECONDS
failed=()

suite() {  # name builddir ctest-args... -- cmake-args...
  local name=$1 dir=$2; shift 2
  local ctest_args=() cmake_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do ctest_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  cmake_args=("$@")
  echo "=== $name: configure and build ($dir)"
  if ! cmake -S . -B "$dir" -G Ninja "${cmake_args[@]}" >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log"; failed+=("$name (configure)"); return
  fi
  if ! cmake --build "$dir" -j "$JOBS"; then failed+=("$name (build)"); return; fi
  echo "=== $name: ctest ${ctest_args[*]}"
  if ! ctest --test-dir "$dir" --output-on-failure -j "$JOBS" "${ctest_args[@]}"; then
    failed+=("$name")
  fi
}

mkdir -p build
suite "all tests" build -- -DCMAKE_BUILD_TYPE=RelWithDebInfo
suite "ASan+UBSan unit tests" build-asan -L unit -- -DCMAKE_BUILD_TYPE=Debug \
  "-DDISCREC_SANITIZE=address;undefined" -DDISCREC_WITH_DAEMON=OFF -DDISCREC_BENCH=OFF
suite "TSan writer-path tests" build-tsan -L tsan -- -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDISCREC_SANITIZE=thread -DDISCREC_WITH_DAEMON=OFF -DDISCREC_BENCH=OFF -DDISCREC_WITH_FFMPEG=OFF
CC=clang CXX=clang++ suite "fuzzers" build-fuzz -L fuzz -- -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDISCREC_FUZZ=ON -DDISCREC_WITH_DAEMON=OFF -DDISCREC_BENCH=OFF -DDISCREC_WITH_FFMPEG=OFF

# The Windows suites run inside build/'s windows_cross_wine test
# (tools/windows_ci.sh); its full half needs a dependency build too long for
# every run. Said here, where ctest would hide it.
if ! tools/windows_deps.sh --prefix >/dev/null 2>&1; then
  echo "SKIP: full Windows build (gRPC, protobuf, FFmpeg for mingw; windows_full tests): no dependency" \
       "prefix; build it once with tools/windows_deps.sh"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "All test suites passed."
