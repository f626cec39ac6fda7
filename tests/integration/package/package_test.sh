#!/bin/sh
# package_test.sh BUILD_DIR VERSION: builds the .deb with cpack, checks what
# it holds, installs it with `dpkg --root=SCRATCH -i` (as root; the
# maintainer scripts run with DPKG_ROOT, so sysusers and tmpfiles act on the
# scratch root and this machine is left alone; otherwise it is extracted)
# and runs the installed daemon and CLI against each other.
set -eu
build=$1
version=$2
for tool in cpack dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool is not installed"; exit 77; }
done
tmp=$(mktemp -d)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Into a scratch directory: parallel runs and build/ stay clean.
cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack"; }
deb=$(ls "$tmp"/out/discrec_"$version"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { cat "$tmp/cpack.log"; fail "no discrec_${version}_*.deb"; }

# Exactly these files, nothing else (no tests, benches or helper programs).
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort >"$tmp/files"
cat >"$tmp/expected" <<LIST
/etc/discrecd/discrecd.toml
/usr/bin/discrec
/usr/lib/systemd/system/discrecd.service
/usr/lib/sysusers.d/discrecd.conf
/usr/lib/tmpfiles.d/discrecd.conf
/usr/sbin/discrecd
/usr/share/discrecd/discrecd.rules.yml
/usr/share/discrecd/drive-quirks.txt
/usr/share/bash-completion/completions/discrec
/usr/share/man/man1/discrec.1.gz
/usr/share/man/man8/discrecd.8.gz
LIST
sort -o "$tmp/expected" "$tmp/expected"
if ! cmp -s "$tmp/files" "$tmp/expected"; then
  echo "package files (<) against expected (>):"
  diff "$tmp/files" "$tmp/expected" || true
  fail "the package holds the wrong files"
fi

# Control: the config is a conffile, postinst creates users and directories
# but never starts the service, dependencies come from dpkg-shlibdeps.
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/discrecd/discrecd.toml "$tmp/control/conffiles" || fail "discrecd.toml is not a conffile"
grep -q systemd-sysusers "$tmp/control/postinst" || fail "postinst does not run systemd-sysusers"
grep -q "systemd-tmpfiles.* --create discrecd.conf" "$tmp/control/postinst" || fail "postinst does not run systemd-tmpfiles"
grep -Eq "systemctl (start|enable|restart)" "$tmp/control/postinst" && fail "postinst starts the service"
dpkg-deb -f "$deb" Package | grep -qx discrec || fail "package name"
dpkg-deb -f "$deb" Version | grep -qx "$version" || fail "package version"
dpkg-deb -f "$deb" Depends | grep -q libgrpc++ || fail "Depends lacks libgrpc++ (shlibdeps)"

root=$tmp/root
if [ "$(id -u)" -eq 0 ]; then
  # An empty dpkg database in the scratch root; the host provides the
  # libraries, so dependencies are not checked against the scratch database.
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
  : >"$root/var/lib/dpkg/status"
  : >"$root/etc/passwd"
  : >"$root/etc/group"
  dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null -i "$deb" >"$tmp/dpkg.log" 2>&1 ||
    { cat "$tmp/dpkg.log"; fail "dpkg -i"; }
  dpkg --root="$root" -s discrec 2>/dev/null | grep -qx "Status: install ok installed" || fail "dpkg does not list discrec as installed"
  # postinst made the user, the group and the directories in that root.
  grep -q '^discrecd:' "$root/etc/passwd" || fail "postinst made no discrecd user: $(cat "$tmp/dpkg.log")"
  grep -q '^discrec:' "$root/etc/group" || fail "postinst made no discrec group"
  for dir in /var/lib/discrecd; do
    [ -d "$root$dir" ] || fail "postinst made no $dir"
    owner=$(stat -c %U:%G "$root$dir" 2>/dev/null || true)
    uid=$(awk -F: '$1 == "discrecd" { print $3 }' "$root/etc/passwd")
    [ "$(stat -c %u "$root$dir")" = "$uid" ] || fail "$dir belongs to $owner, not discrecd"
    [ "$(stat -c %a "$root$dir")" = 750 ] || fail "$dir mode $(stat -c %a "$root$dir")"
  done
else
  echo "not root: extracting instead of dpkg -i"
  dpkg-deb -x "$deb" "$root"
fi
# The unit, sysusers and tmpfiles agree with each other and with the files.
unit=$root/usr/lib/systemd/system/discrecd.service
grep -qx "ExecStart=/usr/sbin/discrecd serve --config /etc/discrecd/discrecd.toml" "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -q "@" "$unit" && fail "unconfigured @VARIABLE@ left in the unit"
grep -qx "User=discrecd" "$unit" || fail "User= in the unit"
grep -qx "Group=discrec" "$unit" || fail "Group= in the unit"
grep -Eq '^u discrecd - ' "$root/usr/lib/sysusers.d/discrecd.conf" || fail "sysusers: user discrecd"
grep -Eq '^g discrec ' "$root/usr/lib/sysusers.d/discrecd.conf" || fail "sysusers: group discrec"
grep -Eq '^d /run/discrecd 0750 discrecd discrec' "$root/usr/lib/tmpfiles.d/discrecd.conf" || fail "tmpfiles: /run/discrecd"
grep -Eq '^d /var/lib/discrecd 0750 discrecd discrec' "$root/usr/lib/tmpfiles.d/discrecd.conf" || fail "tmpfiles: /var/lib/discrecd"
if command -v systemd-analyze >/dev/null 2>&1; then
  # Only the syntax: the discrecd user need not exist on this machine.
  systemd-analyze verify "$unit" 2>&1 | grep -Ei "unknown (key|section)|invalid|bad" && fail "systemd-analyze verify"
fi

# The extracted programs run from the installed paths.
"$root/usr/bin/discrec" --version | grep -qx "discrec $version" || fail "discrec --version"
"$root/usr/sbin/discrecd" --version | grep -qx "discrecd $version" || fail "discrecd --version"
# The man pages and the bash completion, from where the package put them.
for page in "$root/usr/share/man/man1/discrec.1.gz" "$root/usr/share/man/man8/discrecd.8.gz"; do
  gzip -dc "$page" | grep -q '^\.TH ' || fail "$page is not a man page"
done
if command -v bash >/dev/null 2>&1; then
  bash -c '. "$1" && COMP_WORDS=(discrec fin) && COMP_CWORD=1 && _discrec && [ "${COMPREPLY[*]}" = finalize ]' \
    bash "$root/usr/share/bash-completion/completions/discrec" || fail "the installed bash completion"
fi
mkdir -m 0700 "$tmp/state"
sock=$tmp/state/s.sock
"$root/usr/sbin/discrecd" serve --state-dir "$tmp/state" --socket "$sock" >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
i=0
while [ ! -S "$sock" ]; do
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon.log"; fail "the extracted discrecd exited"; }
  i=$((i + 1))
  [ $i -lt 300 ] || { cat "$tmp/daemon.log"; fail "no socket after 30 s"; }
  sleep 0.1
done
"$root/usr/bin/discrec" --socket "$sock" drives >"$tmp/drives.out" 2>&1 || { cat "$tmp/drives.out" "$tmp/daemon.log"; fail "discrec drives"; }
grep -q bd0 "$tmp/drives.out" || { cat "$tmp/drives.out"; fail "discrec drives does not list bd0"; }
# The shipped drive quirks table is found where the package put it.
grep -q "drive quirks from .*/usr/share/discrecd/drive-quirks.txt" "$tmp/daemon.log" ||
  { cat "$tmp/daemon.log"; fail "the extracted discrecd did not read its drive quirks table"; }

kill -TERM "$daemon_pid"
i=0
while kill -0 "$daemon_pid" 2>/dev/null; do
  i=$((i + 1))
  [ $i -lt 600 ] || { cat "$tmp/daemon.log"; fail "discrecd did not stop within 60 s of SIGTERM"; }
  sleep 0.1
done
status=0
wait "$daemon_pid" || status=$?
daemon_pid=
[ "$status" -eq 0 ] || { cat "$tmp/daemon.log"; fail "discrecd exited $status after SIGTERM"; }

if [ "$(id -u)" -eq 0 ]; then
  # Removing keeps the conffile; purging takes it.
  dpkg --root="$root" --force-script-chrootless --log=/dev/null -r discrec >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -r"; }
  [ ! -e "$root/usr/sbin/discrecd" ] || fail "dpkg -r left /usr/sbin/discrecd"
  [ -f "$root/etc/discrecd/discrecd.toml" ] || fail "dpkg -r removed the conffile"
  dpkg --root="$root" --force-script-chrootless --log=/dev/null -P discrec >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -P"; }
  [ ! -e "$root/etc/discrecd/discrecd.toml" ] || fail "dpkg -P left the conffile"
fi
echo "OK: $(basename "$deb")"
