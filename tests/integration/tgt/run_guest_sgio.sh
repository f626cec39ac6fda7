#!/bin/bash
# ctest: boot the QEMU guest chain against the fixture's tgtd with our own
# binary inside, and run the SG_IO probe/write/read-back on /dev/sg0 and
# /dev/sr0 (sgio_guest_check). Exit 0 only when the guest printed PASS.
#   run_guest_sgio.sh FIXTURE_DIR BINARY HOOK
set -euo pipefail
dir=$1 bin=$2 hook=$3
H=${MMC_TARGET:?}
. "$dir/env"
"$(dirname "$0")/tgt_fixture.sh" swap "$dir" guest >/dev/null
EXTRA_FILES="$bin" GUEST_EXTRA_SH="$hook" "$H/build_initramfs.sh" > "$OUT/initramfs.log" 2>&1 ||
  { cat "$OUT/initramfs.log"; exit 1; }
TESTS=extra MODEL=scsi-generic GDEV=sg0 TIMEOUT=${GUEST_TIMEOUT:-400} "$H/run_qemu_chain.sh" || true
log=$OUT/qemu-scsi-generic.log.txt
grep -E "^DISCREC_SGIO:" "$log" || { echo "no DISCREC_SGIO lines; guest log tail:"; tail -40 "$log"; exit 1; }
grep -q "^DISCREC_SGIO: PASS" "$log"
