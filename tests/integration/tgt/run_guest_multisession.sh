#!/bin/bash
# ctest: the Linux kernel's UDF reader on a three-session disc
# (recorder/udf/multisession.h). udf_multisession_test writes the emulated
# DVD+R's image (DISCREC_MULTISESSION_KEEP); tgt serves it (as a DVD-ROM) to
# the QEMU guest, which mounts /dev/sr0 without session= and with
# session=<start LBA> of each session and prints every file's md5.
# Asserted: session=S shows sessions 1..k's recordings with their contents;
# without session= the kernel asks the drive (READ TOC) for the last
# session, which tgt reports as one session at 0: session 1.
#   run_guest_multisession.sh FIXTURE_DIR TEST_BINARY HOOK
set -euo pipefail
dir=$1 test_bin=$2 hook=$3
H=${MMC_TARGET:?}
. "$dir/env"
work=$dir/multisession
rm -rf "$work"; mkdir -p "$work/modules"
DISCREC_MULTISESSION_KEEP=$work "$test_bin" --gtest_filter='*/dvdplusr' > "$work/test.log" 2>&1 ||
  { cat "$work/test.log"; exit 1; }
disc=$work/dvd+r
mkdir -p "$STATE"; cp "$disc/disc.img" "$STATE/multisession.iso"
"$H/load_media.sh" "$STATE/multisession.iso"
KV=$(ls /lib/modules | sort -V | tail -1)
for m in crc-itu-t udf; do
  f=$(modinfo -k "$KV" -n $m)
  case "$f" in
    *.ko) cp "$f" "$work/modules/$m.ko" ;;
    *.ko.xz) xz -dc "$f" > "$work/modules/$m.ko" ;;
    *.ko.zst) zstd -dc "$f" > "$work/modules/$m.ko" ;;
  esac
done
EXTRA_FILES="$work/modules/crc-itu-t.ko $work/modules/udf.ko $disc/sessions" GUEST_EXTRA_SH="$hook" \
  "$H/build_initramfs.sh" > "$OUT/initramfs.log" 2>&1 || { cat "$OUT/initramfs.log"; exit 1; }
TESTS=extra MODEL=scsi-generic GDEV=sg0 TIMEOUT=${GUEST_TIMEOUT:-400} "$H/run_qemu_chain.sh" || true
log=$OUT/qemu-scsi-generic.log.txt
grep -a "^DISCREC_UDF:" "$log" | tr -d '\r' > "$work/seen" || true
cat "$work/seen"
grep -q "^DISCREC_UDF: done" "$work/seen" || { echo "guest did not finish; log tail:"; tail -40 "$log"; exit 1; }
# What each mount must show: the recordings of sessions 1..k ("_s<j>r" in
# their names), with the bytes the test wrote.
expect() {  # options, last session number
  for f in "$disc"/expected/*; do
    n=$(basename "$f"); j=${n#*_s}; j=${j%%r*}
    if [ "$j" -le "$2" ]; then echo "DISCREC_UDF: $1 $(md5sum < "$f" | cut -d' ' -f1) $n"; fi
  done | sort
}
fail=0
check() {  # options, last session number
  got=$(grep "^DISCREC_UDF: $1 " "$work/seen" | sort || true)
  want=$(expect "$1" "$2")
  if [ "$got" != "$want" ]; then echo "FAIL: mount -o $1: got"; echo "$got"; echo "want"; echo "$want"; fail=1; fi
}
check ro 1
k=0
while read -r s; do k=$((k + 1)); check "ro,session=$s" $k; done < "$disc/sessions"
[ $fail = 0 ] && echo "PASS: the kernel reads session 1 by default (tgt: one session in its TOC) and each session with session=<start>"
exit $fail
