#!/bin/sh
# Runs in the QEMU guest as `guest_extra.sh /dev/sg0` (run_guest_mtx.sh):
# Debian's mtx reads the changer's element status through SG_IO.
dev="" i=0
while [ -z "$dev" ] && [ $i -lt 100 ]; do
  for s in /sys/class/scsi_generic/sg*; do
    [ "$(cat "$s/device/type" 2>/dev/null)" = 8 ] && dev=/dev/${s##*/}
  done
  [ -n "$dev" ] || { sleep 0.1; i=$((i + 1)); }
done
[ -n "$dev" ] || { echo "DISCREC_MTX: FAIL no medium changer (type 8) among /dev/sg*"; exit 1; }
echo "DISCREC_MTX: changer $dev"
mtx -f "$dev" status > /tmp/mtx.out 2>&1
rc=$?
sed 's/^/DISCREC_MTX| /' /tmp/mtx.out
echo "DISCREC_MTX: exit $rc"
