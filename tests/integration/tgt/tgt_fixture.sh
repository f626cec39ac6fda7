#!/bin/bash
# ctest fixture around shared/mmc-target: starts a private tgtd (free port
# and control socket, state under the build dir), swaps blank discs, stops it.
#   tgt_fixture.sh start DIR     -> DIR/uri holds the iscsi:// URI
#   tgt_fixture.sh swap DIR NAME -> a fresh blank DVD+R named NAME
#   tgt_fixture.sh blanks DIR NAME N -> fresh blanks in LUNs 1..N (LUNs 2..N
#                                   made as LUN 1 is; images NAME-lunK.iso)
#   tgt_fixture.sh stop DIR
# MMC_TARGET (env) = the shared/mmc-target folder.
set -euo pipefail
cmd=$1 dir=$2
H=${MMC_TARGET:?set MMC_TARGET to shared/mmc-target}
mkdir -p "$dir"
case $cmd in
start)
  if [ -f "$dir/env" ]; then "$0" stop "$dir" || true; fi
  port=""
  # A port nobody listens on, and a tgtd control socket nobody uses, so
  # several build trees (and other helpers' tgtd) never collide.
  for p in $(seq 3300 3399); do
    ss -ltn | grep -q ":$p\b" && continue
    c=$((p - 3300 + 100))
    [ -e "/var/run/tgtd/socket.$c" ] && continue
    port=$p ctrl=$c
    break
  done
  [ -n "$port" ] || { echo "no free port in 3300-3399" >&2; exit 1; }
  cat > "$dir/env" <<ENV
export STATE=$dir/state OUT=$dir/out PORT=$port CTRL=$ctrl TID=1 LUN=1 IQN=iqn.2026-01.org.discrec.test:dvd NO_APT=1
ENV
  . "$dir/env"
  "$H/setup_tgt.sh" > "$dir/setup.log" 2>&1 || { cat "$dir/setup.log"; exit 1; }
  echo "iscsi://127.0.0.1:$PORT/$IQN/$LUN" > "$dir/uri"
  echo "tgtd pid $(cat "$STATE/tgtd.pid") on $(cat "$dir/uri")"
  ;;
swap)
  . "$dir/env"
  "$H/swap_blank.sh" "$3"
  ;;
blanks)
  . "$dir/env"
  . "$H/tgt_env.sh"
  name=$3 n=$4
  LUN=1 "$H/swap_blank.sh" "$name-lun1"
  for k in $(seq 2 "$n"); do
    # A LUN that exists is replaced: a new one holds a new blank, as LUN 1's.
    $TGTADM --mode logicalunit --op delete --tid "$TID" --lun "$k" >/dev/null 2>&1 || true
    f="$STATE/$name-lun$k.iso"
    rm -f "$f"; tgtimg --op new --device-type cd --type dvd+r --file "$f" >/dev/null
    $TGTADM --mode logicalunit --op new --tid "$TID" --lun "$k" -b "$f" --device-type=cd
    $TGTADM --mode logicalunit --op update --tid "$TID" --lun "$k" \
      --params vendor_id=STGT_DVD,product_id=DVD101,product_rev=0010,scsi_sn=DISCREC$k,removable=1
  done
  ;;
stop)
  if [ -f "$dir/env" ]; then
    . "$dir/env"
    "$H/stop_tgt.sh"
  fi
  rm -f "$dir/env" "$dir/uri"
  ;;
*)
  echo "usage: $0 start|swap|blanks|stop DIR [NAME [N]]" >&2; exit 2 ;;
esac
