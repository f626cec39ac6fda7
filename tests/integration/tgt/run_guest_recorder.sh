#!/bin/bash
# ctest: the recorder end to end over real SG_IO. One guest boot
# (run_guest_chain.sh, two blanks) in which guest_recorder records a TS made
# here onto /dev/sr0 and through /dev/sg1, finalizes and verifies each; then
# tgt's two image files are opened here by udfinfo, 7-Zip, libudfread
# (udfread_check) and ffprobe, which must count every frame of the source.
#   run_guest_recorder.sh FIXTURE_DIR GUEST_RECORDER UDFREAD_CHECK
set -euo pipefail
dir=$1 bin=$2 udfread=$3
here=$(cd "$(dirname "$0")" && pwd)
out=$dir/guest-test
mkdir -p "$out"
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# 6 s of 640x360 H.264 (a GOP a second) and AAC.
src=$out/src.ts
ffmpeg -v error -y -f lavfi -i testsrc=size=640x360:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t 6 -c:v libx264 -preset ultrafast -g 25 -keyint_min 25 -pix_fmt yuv420p -c:a aac -b:a 96k \
  -f mpegts "$src"

"$here/run_guest_chain.sh" "$dir" test "$src" 2 "$bin" || true
log=$out/qemu.log.txt
grep -E "^DISCREC_GUEST:" "$log" || { echo "no DISCREC_GUEST lines; guest log tail:"; tail -40 "$log"; exit 1; }
grep -q "^DISCREC_GUEST: PASS" "$log" || { echo "FAIL: the guest did not pass"; exit 1; }

frames() {  # "0 video 150 1 audio 283": every stream's decoded frame count
  ffprobe -v error -count_frames -show_entries stream=index,codec_type,nb_read_frames -of csv=p=0 "$1" |
    sort -un | tr ',\n' '  ' | sed 's/ *$//'
}
# The recorded file is the source, then null packets (PID 0x1fff) up to the
# end of its last ECC unit.
same_ts() {
  cmp -n "$(stat -c %s "$src")" "$src" "$1" || fail "LUN $k: $2 reads other bytes than the source's"
  local tail
  tail=$(tail -c +"$(( $(stat -c %s "$src") + 1 ))" "$1" | od -An -tx1 -w188 -v | awk '{print $1 $2 $3}' | sort -u)
  [ -z "$tail" ] || [ "$tail" = 471fff ] || fail "LUN $k: $2 reads more than null packets after the source: $tail"
}
want=$(frames "$src")
echo "source: $(stat -c %s "$src") bytes, frames: $want"
. "$dir/env"
for k in 1 2; do
  image=$STATE/guest-test-lun$k.iso
  echo "--- LUN $k: $image ($(stat -c %s "$image") bytes)"
  info=$(udfinfo "$image" 2>&1) || fail "udfinfo $image: $info"
  echo "$info" | grep -E "^(label|integrity|udfrev)=" | tr '\n' ' '; echo
  echo "$info" | grep -q "^integrity=closed" || fail "udfinfo: integrity not closed"
  list=$("$udfread" "$image") || fail "udfread_check could not list $image"
  echo "$list"
  ts=$(echo "$list" | sed -n 's/^f \([0-9]*\) \(.*\.ts\)$/\1 \2/p')
  [ "$(echo "$ts" | grep -c .)" = 1 ] || { fail "not one .ts file on LUN $k"; continue; }
  size=${ts%% *} path=${ts#* }
  "$udfread" "$image" "$path" 0 "$size" > "$out/udfread$k.ts" || fail "udfread_check could not read $path"
  same_ts "$out/udfread$k.ts" "libudfread"
  rm -rf "$out/7z$k"
  7zz x -y -o"$out/7z$k" "$image" > "$out/7z$k.log" 2>&1 || fail "7-Zip could not extract $image"
  x=$(find "$out/7z$k" -name '*.ts' | head -1)
  [ -n "$x" ] && cmp "$out/udfread$k.ts" "$x" || fail "LUN $k: 7-Zip extracts other bytes than libudfread"
  got=$(frames "$out/udfread$k.ts")
  echo "ffprobe: $got"
  [ "$got" = "$want" ] || fail "LUN $k: ffprobe counts '$got', the source '$want'"
done
[ $failed = 0 ] && echo "PASS" || { echo "FAILED"; exit 1; }
