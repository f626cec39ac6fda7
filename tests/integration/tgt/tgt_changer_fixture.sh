#!/bin/bash
# ctest fixture: a private tgtd with tgt's SCSI media changer emulation (its
# README.dvdjukebox setup) on a port and control socket of its own, so it
# never meets tgt_fixture.sh's tgtd.
#   LUN 1  an MMC drive (device-type cd), empty: the data transfer element
#   LUN 2  the changer (device-type changer):
#            medium transport 16, import/export 32, data transfer 1 (= LUN 1),
#            storage 1024..1026: blank DVD+R "DISC0001", "DISC0002", empty
#          media_home = state/vtl; a move to the drive loads vtl/<barcode>.
#   tgt_changer_fixture.sh start DIR -> DIR/changer_uri, DIR/drive_uri
#   tgt_changer_fixture.sh stop DIR
# MMC_TARGET (env) = shared/mmc-target (stop_tgt.sh stops the tgtd).
set -euo pipefail
cmd=$1 dir=$2
H=${MMC_TARGET:?set MMC_TARGET to shared/mmc-target}
mkdir -p "$dir"
case $cmd in
start)
  if [ -f "$dir/env" ]; then "$0" stop "$dir" || true; fi
  port=""
  for p in $(seq 3400 3499); do
    ss -ltn | grep -q ":$p\b" && continue
    c=$((p - 3400 + 200))
    # tgtd leaves its control socket file behind when it exits: a socket
    # nobody listens on is free.
    ss -lx | grep -q "/var/run/tgtd/socket\.$c\b" && continue
    port=$p ctrl=$c
    break
  done
  [ -n "$port" ] || { echo "no free port in 3400-3499" >&2; exit 1; }
  cat > "$dir/env" <<ENV
export STATE=$dir/state OUT=$dir/out PORT=$port CTRL=$ctrl TID=1 LUN=2 IQN=iqn.2026-01.org.discrec.test:jukebox NO_APT=1
ENV
  . "$dir/env"
  . "$H/tgt_env.sh"
  rm -rf "$STATE/vtl"; mkdir -p "$STATE/vtl"
  setsid tgtd -f -C "$CTRL" --iscsi portal=$PORTAL_IP:$PORT > "$STATE/tgtd.log" 2>&1 &
  echo $! > "$STATE/tgtd.pid"
  for i in $(seq 50); do ss -ltn | grep -q "$PORTAL_IP:$PORT\b" && break; sleep 0.1; done
  ss -ltn | grep -q "$PORTAL_IP:$PORT\b" || { echo "tgtd did not start:"; cat "$STATE/tgtd.log"; exit 1; }
  {
    $TGTADM --mode target --op new --tid "$TID" -T "$IQN"
    $TGTADM --mode logicalunit --op new --tid "$TID" --lun 1 -Y cd
    $TGTADM --mode logicalunit --op update --tid "$TID" --lun 1 \
      --params vendor_id=STGT_DVD,product_id=DVD101,product_rev=0010,scsi_sn=JUKEDVD1,removable=1
    dd if=/dev/zero of="$STATE/smc" bs=1k count=1 status=none
    u() { $TGTADM --mode logicalunit --op update --tid "$TID" --lun 2 --params "$1"; }
    $TGTADM --mode logicalunit --op new --tid "$TID" --lun 2 -b "$STATE/smc" --device-type=changer
    u vendor_id=STK,product_id=L700,product_rev=0010,scsi_sn=JUKEBOX1,removable=1
    u element_type=4,start_address=1,quantity=1
    u element_type=4,address=1,tid=$TID,lun=1
    u element_type=1,start_address=16,quantity=1
    u element_type=3,start_address=32,quantity=1
    u media_home=$STATE/vtl
    u element_type=2,start_address=1024,quantity=3
    for k in 1 2; do
      tgtimg --op new --device-type cd --type dvd+r --file "$STATE/vtl/DISC000$k" >/dev/null
      u element_type=2,address=$((1023 + k)),barcode=DISC000$k,sides=1
    done
    $TGTADM --mode target --op bind --tid "$TID" -I ALL
  } > "$dir/setup.log" 2>&1 || { cat "$dir/setup.log"; exit 1; }
  echo "iscsi://$PORTAL_IP:$PORT/$IQN/2" > "$dir/changer_uri"
  echo "iscsi://$PORTAL_IP:$PORT/$IQN/1" > "$dir/drive_uri"
  echo "tgtd pid $(cat "$STATE/tgtd.pid"): changer $(cat "$dir/changer_uri"), drive $(cat "$dir/drive_uri")"
  ;;
stop)
  if [ -f "$dir/env" ]; then
    . "$dir/env"
    "$H/stop_tgt.sh"
    rm -rf "$STATE/vtl" "$STATE/smc"
  fi
  rm -f "$dir/env" "$dir/changer_uri" "$dir/drive_uri"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
