#!/bin/bash
# ctest: an independent client checks what discrec's Changer did. Here,
# changer_tool (the Changer over iSCSI) moves slot 2 (1025) into the drive;
# then a QEMU guest sees the changer LUN through SG_IO (virtio-scsi ->
# scsi-generic -> QEMU's libiscsi -> the fixture's tgtd) and runs Debian's
# `mtx status` on it; mtx's slot and drive states must be discrec's, element
# by element. The medium goes back to its slot at the end.
#   run_guest_mtx.sh FIXTURE_DIR CHANGER_TOOL HOOK [MTX]
# Guest log: FIXTURE_DIR/guest-mtx/qemu.log.txt.
set -euo pipefail
dir=$1 tool=$2 hook=$3 mtx_bin=${4:-$(command -v mtx || true)}
H=${MMC_TARGET:?}
. "$dir/env"
export OUT=$dir/guest-mtx
. "$H/tgt_env.sh"
changer=$(cat "$dir/changer_uri") drive=$(cat "$dir/drive_uri")
case "$changer" in iscsi://127.*) ;; *) echo "refusing non-loopback URL $changer" >&2; exit 2 ;; esac
[ -x "$mtx_bin" ] || { echo "mtx is not installed (apt-get install mtx)"; exit 1; }

"$tool" "$changer" move 1025 1
trap '"$tool" "$changer" move 1 1025 || true' EXIT
"$tool" "$changer" status > "$OUT/discrec.txt"
echo "--- discrec (Changer over iSCSI):"; cat "$OUT/discrec.txt"

EXTRA_FILES="$mtx_bin" GUEST_EXTRA_SH="$hook" "$H/build_initramfs.sh" > "$OUT/initramfs.log" 2>&1 ||
  { cat "$OUT/initramfs.log"; exit 1; }
KV=${KV:-$(ls /lib/modules | sort -V | tail -1)}
log=$OUT/qemu.log
rc=0
timeout --kill-after=10 "${GUEST_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -m 512 -smp 1 \
  -nographic -nic none -no-reboot \
  -kernel "/boot/vmlinuz-$KV" -initrd "$OUT/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 quiet guest_tests=extra guest_dev=sg0" \
  -iscsi initiator-name=iqn.2024-01.test.feas:qemu \
  -device virtio-scsi-pci,id=scsi0 \
  -drive "file=$drive,if=none,id=dvd,format=raw" -device scsi-generic,drive=dvd,bus=scsi0.0,scsi-id=0,lun=0 \
  -drive "file=$changer,if=none,id=jukebox,format=raw" -device scsi-generic,drive=jukebox,bus=scsi0.0,scsi-id=1,lun=0 \
  > "$log" 2>&1 || rc=$?
tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' > "$log.txt"
echo "qemu rc=$rc log=$log.txt"
grep -E "^DISCREC_MTX" "$log.txt" || { echo "no DISCREC_MTX lines; guest log tail:"; tail -40 "$log.txt"; exit 1; }
grep -q "^DISCREC_MTX: exit 0" "$log.txt" || { echo "FAIL: mtx status failed in the guest"; exit 1; }

# Both views in one form: "drive N full from=SLOT tag=T", "slot N full tag=T",
# numbered as mtx numbers them (drives from 0; storage slots from 1 in
# address order, then the import/export elements).
sed -n 's/^DISCREC_MTX| //p' "$log.txt" | awk '
  /Data Transfer Element/ {
    match($0, /Element [0-9]+:/); n = substr($0, RSTART + 8, RLENGTH - 9)
    line = "drive " n
    if ($0 ~ /:Full/) {
      line = line " full"
      if (match($0, /Storage Element [0-9]+ Loaded/)) line = line " from=" substr($0, RSTART + 16, RLENGTH - 23)
    } else line = line " empty"
    if (match($0, /VolumeTag *= *[^ :]+/)) { t = substr($0, RSTART, RLENGTH); sub(/VolumeTag *= */, "", t); line = line " tag=" t }
    print line; next
  }
  /Storage Element [0-9]+/ {
    match($0, /Element [0-9]+/); n = substr($0, RSTART + 8, RLENGTH - 8)
    line = ($0 ~ /IMPORT\/EXPORT/ ? "import_export " : "slot ") n ($0 ~ /:Full/ ? " full" : " empty")
    if (match($0, /VolumeTag *= *[^ :]+/)) { t = substr($0, RSTART, RLENGTH); sub(/VolumeTag *= */, "", t); line = line " tag=" t }
    print line
  }' > "$OUT/mtx.txt"
awk '
  { type[NR] = $1; addr[NR] = $2; state[NR] = $3; extra[NR] = "" ; src[NR] = ""
    for (i = 4; i <= NF; i++) { if ($i ~ /^src=/) src[NR] = substr($i, 5); else if ($i ~ /^tag=/) extra[NR] = " " $i } }
  $1 == "slot" { nslot++; slotno[$2] = nslot }
  END {
    d = 0; ie = 0
    for (k = 1; k <= NR; k++) {
      if (type[k] == "drive") {
        line = "drive " d++ " " state[k]
        if (state[k] == "full" && src[k] != "") line = line " from=" slotno[src[k]]
        print line extra[k]
      } else if (type[k] == "slot") print "slot " slotno[addr[k]] " " state[k] (state[k] == "full" ? extra[k] : "")
      else if (type[k] == "import_export") print "import_export " (nslot + ++ie) " " state[k] (state[k] == "full" ? extra[k] : "")
    }
  }' "$OUT/discrec.txt" | sort > "$OUT/expected.txt"
sort -o "$OUT/mtx.txt" "$OUT/mtx.txt"
echo "--- expected from discrec:"; cat "$OUT/expected.txt"
echo "--- mtx in the guest:"; cat "$OUT/mtx.txt"
diff "$OUT/expected.txt" "$OUT/mtx.txt" || { echo "FAIL: mtx sees another state than discrec left"; exit 1; }
# Not two empty views that agree: slot 2 went into the drive.
grep -qx "drive 0 full from=2 tag=DISC0002" "$OUT/mtx.txt" || { echo "FAIL: mtx does not see DISC0002 from slot 2 in the drive"; exit 1; }
grep -qx "slot 2 empty" "$OUT/mtx.txt" || { echo "FAIL: mtx does not see slot 2 empty"; exit 1; }
echo PASS
