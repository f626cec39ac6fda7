#!/bin/sh
# guest_extra.sh in the QEMU guest (run_guest_multisession.sh): the Linux
# kernel's UDF reader on the multisession disc tgt serves as /dev/sr0,
# mounted without session= and with session=<each session's start LBA>
# (/usr/bin/sessions). Prints "DISCREC_UDF: <options> <md5> <name>" per file.
insmod /usr/bin/crc-itu-t.ko 2>&1
insmod /usr/bin/udf.ko 2>&1
mkdir -p /mnt
for opt in ro $(sed 's/^/ro,session=/' /usr/bin/sessions); do
  if mount -t udf -o "$opt" /dev/sr0 /mnt 2>/tmp/err; then
    for f in /mnt/DISCREC/*; do echo "DISCREC_UDF: $opt $(md5sum "$f" | cut -d' ' -f1) $(basename "$f")"; done
    umount /mnt
  else
    echo "DISCREC_UDF: $opt mount failed: $(cat /tmp/err)"
  fi
done
echo "DISCREC_UDF: done"
