#!/usr/bin/env bash
# The README demo: starts discrecd on its default configuration (one emulated
# BD-RE drive, "bd0") in a private state directory, generates a 10-second
# H.264 test stream with ffmpeg, records it with the CLI, finalizes and
# verifies the disc, and shows what is on the disc image.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DISCREC_BUILD:-build}
state=${DISCREC_DEMO_DIR:-${TMPDIR:-/tmp}/discrec-demo}
rm -rf "$state"
mkdir -p "$state"
sock="$state/discrecd.sock"

echo "== discrecd probe: the emulated BD-RE's capabilities, straight from the drive"
"$bin/daemon/discrecd" probe "sim://$state/probe.img?profile=bd-re&speed=4"
echo

# The built-in defaults: no [sources] needed, as `discrec record FILE` reads
# the file itself and sends the bytes (the daemon opens no client's path).
"$bin/daemon/discrecd" serve --state-dir "$state" --socket "$sock" >"$state/discrecd.log" 2>&1 &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "discrecd did not start:"; cat "$state/discrecd.log"; exit 1; }

cli() { "$bin/clients/discrec" --socket "$sock" "$@"; }

echo "== the drive"
cli drive bd0
echo
echo "== a 10-second H.264 + AAC test stream"
ffmpeg -hide_banner -loglevel error -nostdin -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=10" -f lavfi -i "sine=frequency=440:duration=10" \
  -c:v libx264 -preset veryfast -g 25 -b:v 4M -pix_fmt yuv420p -c:a aac -b:a 128k -f mpegts "$state/camera.ts"
ls -l "$state/camera.ts"
echo
echo "== record it (remuxed, never re-encoded) onto the emulated BD-RE"
cli record "$state/camera.ts" --drive bd0 --title camera1 --bitrate 5000000
echo
echo "== finalize: write the UDF file system"
cli finalize bd0 --label DISCREC_DEMO
echo
echo "== verify: read everything back and compare checksums"
cli verify bd0
echo
echo "== the disc image, read by tools nobody here wrote"
image="$state/bd0.img"
ls -ls "$image"
udfinfo "$image" | grep -E '^(label|udfrev|numfiles|integrity)='
seven=7zz; command -v 7zz >/dev/null || seven=7z
"$seven" l "$image" | sed -n '/^   Date/,$p'
rm -rf "$state/extracted"
"$seven" x -y -o"$state/extracted" "$image" >/dev/null
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1" | head -n1; }
for f in "$state"/extracted/DISCREC/*.ts; do
  echo "$(basename "$f"): $(frames "$f") video frames (source: $(frames "$state/camera.ts")), $(stat -c %s "$f") bytes"
done
echo
echo "Disc image: $image (open it with 7zz, udfinfo, or mount -o loop,ro)"
