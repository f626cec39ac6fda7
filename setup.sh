#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: installs what is missing, builds
# discrec into build/ (with benchmarks), then runs the main job on the
# embedded default drive (the emulated BD-RE) and prints what happened.
set -euo pipefail
cd "$(dirname "$0")"
./tools/install_packages.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
./tools/demo.sh
