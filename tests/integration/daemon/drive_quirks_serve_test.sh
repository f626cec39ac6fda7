#!/bin/sh
# The drive quirks of a served daemon: a table named by daemon.drive_quirks
# reaches the drives the sessions open, and the API lists what applies
# (`discrec drive bd0`, the emulated drive "DISCREC" / "SIM BD WRITER").
#   drive_quirks_serve_test.sh DISCRECD DISCREC
set -u
discrecd=$1 discrec=$2
tmp=$(mktemp -d)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/daemon.log" ] && cat "$tmp/daemon.log"; exit 1; }

mkdir -m 0700 "$tmp/state"
printf 'DISCREC | SIM BD* | * | no-opc streaming-min-write=64 | quirk test entry\n' >"$tmp/quirks.txt"
sock=$tmp/state/s.sock
"$discrecd" serve --state-dir "$tmp/state" --socket "$sock" --set "daemon.drive_quirks=$tmp/quirks.txt" \
  >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
i=0
while [ ! -S "$sock" ]; do
  kill -0 "$daemon_pid" 2>/dev/null || fail "discrecd exited"
  i=$((i + 1))
  [ $i -lt 300 ] || fail "no socket after 30 s"
  sleep 0.1
done
grep -q "drive quirks from $tmp/quirks.txt: 1 entries" "$tmp/daemon.log" || fail "the log does not name the table"
"$discrec" --socket "$sock" drive bd0 >"$tmp/drive.out" 2>&1 || { cat "$tmp/drive.out"; fail "discrec drive"; }
grep -q "quirk:      no-opc: quirk test entry" "$tmp/drive.out" || { cat "$tmp/drive.out"; fail "no-opc not listed"; }
grep -q "quirk:      streaming-min-write=64: quirk test entry" "$tmp/drive.out" ||
  { cat "$tmp/drive.out"; fail "streaming-min-write not listed"; }
"$discrec" --socket "$sock" --json drive bd0 >"$tmp/drive.json" 2>&1 || fail "discrec --json drive"
grep -q "\"source\": *\"$tmp/quirks.txt:1\"" "$tmp/drive.json" || { cat "$tmp/drive.json"; fail "no source in JSON"; }
echo "PASS"
