# Cross-compiling discrec for 64-bit Windows with Debian's mingw-w64
# (packages mingw-w64; tests run under wine64). The -posix compilers use
# winpthreads, which std::thread/std::mutex need; the -win32 ones lack them.
#
#   cmake -S . -B build-mingw -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64.cmake \
#     -DDISCREC_WITH_DAEMON=OFF -DDISCREC_WITH_FFMPEG=OFF -DDISCREC_WITH_ISCSI=OFF
#
# tools/windows_ci.sh does this, builds GoogleTest for the target first and
# runs the Windows tests under wine (ctest uses CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_mingw x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_mingw}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_mingw}-g++-posix)
set(CMAKE_RC_COMPILER ${_mingw}-windres)

# Target libraries come from the mingw sysroot plus any prefix the caller
# adds (e.g. a GoogleTest built for Windows); programs from the host.
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${_mingw} ${DISCREC_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Let try_compile and sub-builds see DISCREC_MINGW_PREFIX too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES DISCREC_MINGW_PREFIX)

# Static runtime: the test executables run under wine without copying
# libstdc++/libgcc/libwinpthread DLLs next to them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# Windows 7 is the first with the real-time streaming I/O controls.
# NOMINMAX: keep <windows.h> from defining min/max macros over std::min.
set(CMAKE_C_FLAGS_INIT "-D_WIN32_WINNT=0x0601 -DNOMINMAX")
set(CMAKE_CXX_FLAGS_INIT "-D_WIN32_WINNT=0x0601 -DNOMINMAX")

find_program(DISCREC_WINE NAMES wine64 wine)
if(DISCREC_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${DISCREC_WINE})
endif()
