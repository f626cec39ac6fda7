#!/bin/bash
# discrec against the burners and the raw drive, in one QEMU guest boot over
# real SG_IO (tests/integration/tgt/run_guest_chain.sh, four blank DVD+R LUNs
# of a private tgtd): the same TS (256 MiB, 60 Mbit/s MPEG-2, 1 s GOPs, made
# here once) recorded and finalized by discrec (guest_recorder), burnt by
# cdrskin (-tao) and by growisofs -Z, each onto its own blank, and the raw
# 64 KiB WRITE(12) figure of shared/mmc-target's mmc_sgio_probe (bench mode).
# Each figure is the TS's bytes over the tool's wall time in the guest
# (discrec: record + finalize; verify is not counted), the median of
# BENCH_ROUNDS (default 3) rounds in the boot, each onto four fresh blanks.
#   bench_guest_record.sh WORK_DIR GUEST_RECORDER      (MMC_TARGET in env)
set -uo pipefail
work=$1 bin=$2
tgt=$(cd "$(dirname "$0")/../integration/tgt" && pwd)
dir=$work/tgt
mkdir -p "$work"
export MMC_TARGET=${MMC_TARGET:?}
for t in cdrskin growisofs qemu-system-x86_64 ffmpeg; do
  command -v $t >/dev/null || { echo "bench_guest_record: $t is not installed"; exit 1; }
done

ts=$work/src256.ts
if [ ! -s "$ts" ]; then
  ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=25 -t 120 -c:v mpeg2video -b:v 60M -minrate 60M \
    -maxrate 60M -bufsize 4M -g 25 -fs 268435456 -f mpegts "$ts.part" && mv "$ts.part" "$ts" || exit 1
fi
bytes=$(stat -c %s "$ts")

rounds=${BENCH_ROUNDS:-3}
"$tgt/tgt_fixture.sh" start "$dir" > "$work/fixture.log" 2>&1 || { cat "$work/fixture.log"; exit 1; }
trap '"$tgt/tgt_fixture.sh" stop "$dir" >> "$work/fixture.log" 2>&1' EXIT
"$tgt/run_guest_chain.sh" "$dir" bench "$ts" $((4 * rounds)) "$bin" "$(command -v cdrskin)" "$(command -v growisofs)" \
  > "$work/chain.log" 2>&1
log=$dir/guest-bench/qemu.log.txt
grep -E "^DISCREC_(GUEST|BENCH):" "$log" > "$work/bench.log"

# Each tool's MB/s per round (0: it failed), then their medians.
mbps() { awk -v b="$bytes" '{ printf "%.1f\n", ($1 > 0 ? b / $1 / 1e6 : 0) }'; }
discrec_all=$(sed -n 's/^DISCREC_GUEST: figure r[0-9]* bytes=[0-9]* record_s=\([0-9.]*\) finalize_s=\([0-9.]*\)/\1 \2/p' "$log" |
  awk '{print $1 + $2}' | mbps)
[ "$(grep -c "^DISCREC_GUEST: PASS" "$log")" = "$rounds" ] || discrec_all="0"
burner() { sed -n "s/^DISCREC_BENCH: $1 rc=\([0-9]*\) seconds=\([0-9.]*\).*/\1 \2/p" "$log" |
  awk '{print ($1 == 0 ? $2 : 0)}' | mbps; }
cdrskin_all=$(burner cdrskin) growisofs_all=$(burner growisofs)
probe_all=$(sed -n 's/^DISCREC_BENCH: probe| .*WRITE:.* = *\([0-9.]*\) MB.*/\1/p' "$log")
median() {  # of the rounds; 0 if any round is missing or failed
  echo "$1" | awk -v n="$rounds" 'NF { v[++c] = $1; if ($1 == 0) bad = 1 }
    END { if (c != n || bad) { print 0; exit } asort_n(v, c); print v[int((c + 1) / 2)] }
    function asort_n(a, k,   i, j, t) { for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }'
}
discrec=$(median "$discrec_all") cdrskin=$(median "$cdrskin_all") growisofs=$(median "$growisofs_all")
probe=$(median "$probe_all")

status=0
for what in discrec cdrskin growisofs probe; do
  if [ "${!what}" = 0 ]; then
    echo "bench_guest_record: $what failed in some round; its guest lines:"
    grep -E "^DISCREC_(GUEST|BENCH): ($what|r[0-9])" "$log" | tail -30
    [ "$what" = discrec ] && tail -30 "$log"
    status=1
  fi
done
each() { echo $1 | tr '\n' ' ' | sed 's/ *$//'; }
echo "guest: TS $bytes bytes, $rounds rounds (MB/s per round): discrec $(each "$discrec_all") (record + finalize);" \
  "probe $(each "$probe_all"); cdrskin $(each "$cdrskin_all"); growisofs $(each "$growisofs_all")"
line() {  # name value reference goal
  awk -v n="$1" -v v="$2" -v r="$3" -v g="$4" \
    'BEGIN { printf "%s: %.1f MB/s, reference %.1f MB/s, ratio %.2f (goal >= %s)\n", n, v, r, (r > 0 ? v / r : 0), g }'
}
line guest_discrec_vs_raw_write12_64k "$discrec" "$probe" 0.9
line guest_discrec_vs_cdrskin "$discrec" "$cdrskin" 2
line guest_discrec_vs_growisofs "$discrec" "$growisofs" 2
exit $status
