#!/bin/bash
# discrecd.exe as a Windows service under wine's Service Control Manager,
# driven over TCP (TLS and a bearer token) by the Linux CLI and by
# discrec.exe under wine; its emulated disc image lives in the wine prefix
# and is read on the host by udfinfo and 7-Zip.
#
#   0. A token file everyone may read is refused (the ACL check).
#   1. `discrecd service install --config ...`, then `sc start discrecd`
#      (the SCM runs `discrecd service run`): RUNNING, listening.
#   2. The Linux CLI uploads a file (all its frames must come back), then
#      starts a live-paced recording from a pipe; discrec.exe under wine
#      lists drives and recordings meanwhile.
#   3. `sc stop discrecd` during that recording: STOP_PENDING with a wait
#      hint, then STOPPED with exit code 0.
#   4. `sc start` again: the disc is still open (the interrupted recording
#      is listed); finalize, verify; the service's own log file tells the
#      story (a service has no stderr).
#   5. udfinfo and 7-Zip on the host: label, two files, frame counts.
#
# usage: daemon_service_wine.sh DISCRECD_EXE DISCREC_EXE HOST_DISCREC
set -euo pipefail

DAEMON_EXE=$1
WIN_CLI=$2
CLI=$3
: "${WINEPREFIX:?WINEPREFIX must name the wine prefix the Windows tests use}"
WINE=$(command -v wine64 || command -v wine)
SEVENZIP=$(command -v 7zz || command -v 7z)
for tool in openssl ffmpeg ffprobe udfinfo; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (tools/packages.txt has it)"; exit 1; }
done

NAME=discrec-service-test
WIN_DIR="C:/ProgramData/$NAME"
DIR="$WINEPREFIX/drive_c/ProgramData/$NAME"
WORK=$(mktemp -d)
KEEPER=
fail() {
  echo "FAIL: $*"
  echo "--- discrecd.log (the service's log)"; cat "$DIR/state/discrecd.log" 2>/dev/null || true
  exit 1
}
wine_() { timeout 120 "$WINE" "$@" </dev/null 2>>"$WORK/wine.err"; }
cleanup() {
  set +e
  wine_ sc stop discrecd >/dev/null
  for _ in $(seq 60); do wine_ sc query discrecd | grep -q "STOPPED" && break; sleep 1; done
  wine_ sc delete discrecd >/dev/null
  [ -n "$KEEPER" ] && kill "$KEEPER" 2>/dev/null
  [ -n "${LIVE_PID:-}" ] && kill "$LIVE_PID" 2>/dev/null
  rm -rf "$WORK" "$DIR"
}
trap cleanup EXIT

# The wine server ends its services a few seconds after its last ordinary
# process exits: this one keeps it (and so the service) alive throughout.
"$WINE" ping -n 100000 127.0.0.1 >/dev/null 2>&1 </dev/null &
KEEPER=$!
# Any service of this name left by an earlier run that died.
wine_ sc stop discrecd >/dev/null || true
wine_ sc delete discrecd >/dev/null || true

# A free loopback port (a refused connection means no one listens).
PORT=
for p in $(shuf -i 20000-60000 -n 50); do
  if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || fail "no free port"

rm -rf "$DIR"
mkdir -p "$DIR/state"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/key.pem" -out "$DIR/cert.pem" -days 2 \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
head -c 24 /dev/urandom | base64 >"$DIR/token"
chmod 600 "$DIR/key.pem" "$DIR/token"
cp "$DAEMON_EXE" "$DIR/discrecd.exe"
cat >"$DIR/discrecd.toml" <<EOF
[daemon]
socket = ""
state_directory = "$WIN_DIR/state"
[daemon.tcp]
listen = "127.0.0.1:$PORT"
tls_cert_file = "$WIN_DIR/cert.pem"
tls_key_file = "$WIN_DIR/key.pem"
token_file = "$WIN_DIR/token"
[limits]
ring_memory = "128MiB"
[drives.bd0]
uri = "sim:///$WIN_DIR/state/bd0.img?profile=bd-r&speed=4"
EOF

# Both clients: TLS against our certificate, the control token.
export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH="$DIR/cert.pem" DISCREC_TOKEN
DISCREC_TOKEN=$(cat "$DIR/token")
cli() { timeout 120 "$CLI" --target "127.0.0.1:$PORT" "$@"; }
# discrec.exe finds the daemon through $DISCREC_TARGET (Windows has no socket).
win_cli() {
  GRPC_DEFAULT_SSL_ROOTS_FILE_PATH="$WIN_DIR/cert.pem" DISCREC_TARGET="127.0.0.1:$PORT" timeout 120 "$WINE" "$WIN_CLI" \
    "$@" </dev/null 2>>"$WORK/wine.err"
}
wait_running() {
  for _ in $(seq 120); do
    if wine_ sc query discrecd | grep -q "RUNNING" && cli info >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  wine_ sc query discrecd
  fail "the service did not reach RUNNING and answer within 120 s"
}

# Secrets: the daemon reads each file's DACL back (host_windows.cc); wine,
# keeping no security descriptors here, derives it from the Unix mode, so
# a token of mode 0644 reads as "Everyone may read" and must be refused.
echo "== a token everyone may read is refused"
chmod 644 "$DIR/token"
timeout 120 "$WINE" "$DIR/discrecd.exe" serve --config "$WIN_DIR/discrecd.toml" </dev/null >"$WORK/readable.out" 2>&1 &&
  fail "discrecd served with a token everyone may read"
grep -q "token file .* is readable by S-1-1-0" "$WORK/readable.out" || fail "refusal: $(cat "$WORK/readable.out")"
chmod 600 "$DIR/token"

echo "== install and start the service (port $PORT)"
wine_ "$DIR/discrecd.exe" service install --config "$WIN_DIR/discrecd.toml" | tee "$WORK/install.out"
grep -q "installed service discrecd" "$WORK/install.out" || fail "install: $(cat "$WORK/install.out")"
wine_ sc start discrecd >/dev/null || fail "sc start discrecd"
wait_running
cli drives | tee "$WORK/drives.out"
grep -q "BLANK" "$WORK/drives.out" || fail "bd0 should hold a blank disc"

echo "== record a file (the Linux CLI uploads it)"
ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine=frequency=440 -t 8 \
  -c:v libx264 -g 25 -b:v 2M -c:a aac -f mpegts "$WORK/in.ts"
cli record "$WORK/in.ts" --drive bd0 --title upload >"$WORK/record.out" 2>&1 || fail "record: $(cat "$WORK/record.out")"
grep -q "STOPPED" "$WORK/record.out" || fail "the upload should end STOPPED: $(cat "$WORK/record.out")"

echo "== a live recording, then sc stop in the middle of it"
ffmpeg -v error -re -f lavfi -i testsrc2=size=640x360:rate=25 -t 60 -c:v libx264 -g 25 -b:v 2M \
  -f mpegts - 2>/dev/null | "$CLI" --target "127.0.0.1:$PORT" record - --drive bd0 --title live \
  >"$WORK/live.out" 2>&1 &
LIVE_PID=$!
for _ in $(seq 60); do
  cli recordings 2>/dev/null | grep -q "RECORDING" && break
  sleep 1
done
cli recordings | tee "$WORK/recordings.out"
grep -q "RECORDING" "$WORK/recordings.out" || fail "the live recording did not start"
sleep 3
echo "-- discrec.exe under wine"
win_cli drives | tee "$WORK/win_drives.out"
grep -q "bd0" "$WORK/win_drives.out" || fail "discrec.exe drives did not list bd0"
win_cli recordings | tee "$WORK/win_recordings.out"
if DISCREC_TARGET= timeout 120 "$WINE" "$WIN_CLI" drives </dev/null >"$WORK/no_target.out" 2>&1; then
  fail "discrec.exe without a target should fail"
fi
grep -q "name the daemon with --target HOST:PORT or \$DISCREC_TARGET" "$WORK/no_target.out" ||
  fail "discrec.exe without a target: $(cat "$WORK/no_target.out")"
grep -q "rec002" "$WORK/win_recordings.out" || fail "discrec.exe recordings did not list the live recording"
wine_ sc stop discrecd | tee "$WORK/stop.out"
grep -q "STOP_PENDING" "$WORK/stop.out" || fail "sc stop should report STOP_PENDING"
grep -Eq "WAIT_HINT +: 0x[1-9a-f]" "$WORK/stop.out" || fail "STOP_PENDING should carry a wait hint"
stopped=
for _ in $(seq 120); do
  wine_ sc query discrecd >"$WORK/query.out"
  if grep -q "STOPPED" "$WORK/query.out"; then stopped=1; break; fi
  sleep 1
done
cat "$WORK/query.out"
[ -n "$stopped" ] || fail "the service did not stop within 120 s"
grep -Eq "WIN32_EXIT_CODE +: 0 " "$WORK/query.out" || fail "the service should stop with exit code 0"
wait "$LIVE_PID" 2>/dev/null || true
LIVE_PID=
grep -q "discrecd: stopped" "$DIR/state/discrecd.log" || fail "the log should end with 'discrecd: stopped'"

echo "== start again: the disc is still open; finalize and verify"
wine_ sc start discrecd >/dev/null || fail "sc start discrecd (again)"
wait_running
cli recordings | tee "$WORK/recordings2.out"
grep -q "rec001" "$WORK/recordings2.out" && grep -q "rec002" "$WORK/recordings2.out" ||
  fail "both recordings should be listed after the restart"
cli finalize bd0 --label WINESVC >"$WORK/finalize.out" 2>&1 || fail "finalize: $(cat "$WORK/finalize.out")"
grep -q "finalized: 2 recording(s)" "$WORK/finalize.out" || fail "finalize: $(cat "$WORK/finalize.out")"
cli verify bd0 >"$WORK/verify.out" 2>&1 || fail "verify: $(cat "$WORK/verify.out")"
grep -q " 0 mismatch(es)" "$WORK/verify.out" || fail "verify: $(cat "$WORK/verify.out")"
wine_ sc stop discrecd >/dev/null

echo "== the image on the host"
IMAGE="$DIR/state/bd0.img"
udfinfo "$IMAGE" | tee "$WORK/udfinfo.out" | grep -q "^label=WINESVC$" || fail "udfinfo: $(cat "$WORK/udfinfo.out")"
"$SEVENZIP" x -o"$WORK/x" "$IMAGE" >/dev/null || fail "7-Zip could not extract the image"
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1" | head -n1; }
upload=$(ls "$WORK"/x/DISCREC/*_rec001_upload.ts)
live=$(ls "$WORK"/x/DISCREC/*_rec002_live.ts)
[ "$(frames "$upload")" = "$(frames "$WORK/in.ts")" ] || fail "the uploaded file lost frames"
live_frames=$(frames "$live")
[ "${live_frames:-0}" -gt 25 ] || fail "the live recording holds ${live_frames:-no} frames"
echo "upload: $(frames "$upload") frames, as sent; live: $live_frames frames until sc stop"
echo "PASS"
