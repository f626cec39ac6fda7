#!/bin/bash
# One QEMU guest boot against the fixture's tgtd with N fresh blank DVD+Rs
# (LUNs 1..N: /dev/sr0..srN-1 and /dev/sg0..sgN-1 in the guest) and an MPEG-TS
# on a read-only virtio disk (/dev/vda), running guest_recorder_hook.sh in
# MODE (test: discrec records onto sr0 and sg1; bench: discrec, cdrskin,
# growisofs and the raw probe each onto its own blank).
#   run_guest_chain.sh FIXTURE_DIR MODE TS N BINARY...
# The boot is shared/mmc-target's (its initramfs, its guest/init, its
# run_qemu_chain.sh QEMU line), with more than one LU and a data disk, which
# run_qemu_chain.sh has no place for. Guest log: $OUT/qemu.log.txt, OUT =
# FIXTURE_DIR/guest-MODE; the blanks are $STATE/guest-MODE-lunK.iso.
# Env: GUEST_TIMEOUT (s, default 600), GUEST_CPU (QEMU -cpu, default qemu64 as
# run_qemu_chain.sh's: no SSE4.2, so CRC-32C is computed in software).
set -euo pipefail
dir=$1 mode=$2 ts=$3 luns=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
H=${MMC_TARGET:?}
. "$dir/env"
export OUT=$dir/guest-$mode
. "$H/tgt_env.sh"
case "$URL" in iscsi://127.*) ;; *) echo "refusing non-loopback URL $URL" >&2; exit 2 ;; esac
"$here/tgt_fixture.sh" blanks "$dir" "guest-$mode" "$luns" >/dev/null

# The guest reads the TS from a disk of whole sectors: the hook is told its size.
bytes=$(stat -c %s "$ts")
bps=$(ffprobe -v error -show_entries format=bit_rate -of csv=p=0 "$ts")
cp "$ts" "$OUT/ts.img"
truncate --size=%512 "$OUT/ts.img"

KV=${KV:-$(ls /lib/modules | sort -V | tail -1)}
f=$(modinfo -k "$KV" -n virtio_blk)
case "$f" in
  *.ko) cp "$f" "$OUT/virtio_blk.ko" ;;
  *.ko.xz) xz -dc "$f" > "$OUT/virtio_blk.ko" ;;
  *.ko.zst) zstd -dc "$f" > "$OUT/virtio_blk.ko" ;;
esac
# Without their debug information: the initramfs is unpacked under TCG.
bins=""
for b in "$@"; do strip -o "$OUT/${b##*/}" "$b"; bins="$bins $OUT/${b##*/}"; done
EXTRA_FILES="$bins $OUT/virtio_blk.ko" GUEST_EXTRA_SH="$here/guest_recorder_hook.sh" \
  "$H/build_initramfs.sh" > "$OUT/initramfs.log" 2>&1 || { cat "$OUT/initramfs.log"; exit 1; }

drives=()
for k in $(seq 1 "$luns"); do
  drives+=(-drive "file=iscsi://$PORTAL_IP:$PORT/$IQN/$k,if=none,id=cd$k,format=raw"
           -device "scsi-generic,drive=cd$k,bus=scsi0.0,channel=0,scsi-id=$((k - 1)),lun=0")
done
log=$OUT/qemu.log
t0=$(date +%s.%N)
rc=0
timeout --kill-after=10 "${GUEST_TIMEOUT:-600}" qemu-system-x86_64 -accel tcg -cpu "${GUEST_CPU:-qemu64}" -m 1024 -smp 1 \
  -nographic -nic none -no-reboot \
  -kernel "/boot/vmlinuz-$KV" -initrd "$OUT/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 quiet guest_tests=extra guest_dev=sg0 discrec_mode=$mode discrec_ts_bytes=$bytes discrec_ts_bps=$bps discrec_luns=$luns" \
  -iscsi initiator-name=iqn.2024-01.test.feas:qemu \
  -device virtio-scsi-pci,id=scsi0 "${drives[@]}" \
  -drive "file=$OUT/ts.img,if=none,id=ts,format=raw,readonly=on" -device virtio-blk-pci,drive=ts \
  > "$log" 2>&1 || rc=$?
rm -f "$OUT/ts.img"
tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' > "$log.txt"
echo "qemu rc=$rc wall=$(echo "$(date +%s.%N) - $t0" | bc) s log=$log.txt"
grep -q "^GUEST: done" "$log.txt"
