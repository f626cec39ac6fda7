#!/bin/sh
# Runs in the QEMU guest as `guest_extra.sh /dev/sg0` (run_guest_chain.sh).
# The kernel command line says what: discrec_mode=test|bench,
# discrec_ts_bytes and discrec_ts_bps (the TS on /dev/vda), discrec_luns
# (blanks: sr0.., sg0..).
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
MODE=$(arg discrec_mode) BYTES=$(arg discrec_ts_bytes) BPS=$(arg discrec_ts_bps) LUNS=$(arg discrec_luns)
insmod /usr/bin/virtio_blk.ko
last=$((LUNS - 1)) i=0
while [ ! -e /dev/vda -o ! -e /dev/sr$last -o ! -e /dev/sg$last ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ls /dev/vda /dev/sr* /dev/sg* | tr '\n' ' ' | sed 's/^/DISCREC_GUEST: devices /'; echo

now() { cut -d' ' -f1 /proc/uptime; }
# "busy idle" jiffies of the (one) vCPU: a tool that keeps it busy is bound
# by the emulated CPU, not by the drive.
cpu() { head -1 /proc/stat | awk '{print $2 + $3 + $4 + $7 + $8, $5 + $6}'; }
busy() { echo "$1 $2" | awk '{b = $3 - $1; i = $4 - $2; printf "%.0f", (b + i > 0 ? 100 * b / (b + i) : 0)}'; }
# Runs a burner on its own blank: DISCREC_BENCH: NAME rc=RC seconds=S cpu=%
burn() {
  name=$1; shift
  t0=$(now) c0=$(cpu)
  "$@" > /tmp/$name.log 2>&1
  rc=$?
  t1=$(now) c1=$(cpu)
  tail -n $([ $rc = 0 ] && echo 3 || echo 25) /tmp/$name.log | sed "s/^/DISCREC_BENCH: $name| /"
  echo "DISCREC_BENCH: $name rc=$rc seconds=$(awk "BEGIN{print $t1 - $t0}") cpu=$(busy "$c0" "$c1")%"
}

case $MODE in
test)
  guest_recorder /dev/vda "$BYTES" "$BPS" d0=sg:///dev/sr0 d1=sg:///dev/sg1
  echo "DISCREC_GUEST: exit $?"
  ;;
bench)
  # The same TS onto a blank each, one writer at a time, in rounds of four
  # LUNs (discrec, the probe, cdrskin, growisofs), so that drift in the
  # (shared, fdatasync-bound) host hits every tool alike.
  mib=$(( (BYTES + 1048575) / 1048576 ))
  r=0
  while [ $((4 * r + 3)) -lt "$LUNS" ]; do
    a=$((4 * r)) b=$((4 * r + 1)) c=$((4 * r + 2)) d=$((4 * r + 3))
    c0=$(cpu)
    guest_recorder /dev/vda "$BYTES" "$BPS" r$r=sg:///dev/sr$a
    echo "DISCREC_GUEST: exit $? cpu=$(busy "$c0" "$(cpu)")%"
    c0=$(cpu)
    mmc_sgio_probe -q -r 0 -c 32 -m "$mib" bench /dev/sg$b 2>&1 | sed 's/^/DISCREC_BENCH: probe| /'
    echo "DISCREC_BENCH: probe cpu=$(busy "$c0" "$(cpu)")% (write and read back)"
    burn cdrskin cdrskin -v dev=/dev/sr$c -tao tsize="$BYTES" /dev/vda
    burn growisofs growisofs -Z /dev/sr$d=/dev/vda
    r=$((r + 1))
  done
  ;;
*)
  echo "DISCREC_GUEST: FAIL unknown discrec_mode '$MODE'"
  ;;
esac
