#!/usr/bin/env bash
# The main job on the embedded default drive. Grows with the product: today it
# probes an emulated BD-RE and prints its capabilities.
set -euo pipefail
cd "$(dirname "$0")/.."
state=${DISCREC_DEMO_DIR:-${TMPDIR:-/tmp}/discrec-demo}
mkdir -p "$state"
if [ -x build/daemon/discrecd ]; then
  build/daemon/discrecd probe "sim://$state/disc0.img?profile=bd-re&speed=4"
else
  echo "discrecd not built yet"
fi
