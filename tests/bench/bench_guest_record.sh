#!/bin/bash
# discrec against the burners and the raw drive, in one QEMU guest boot over
# real SG_IO (tests/integration/tgt/run_guest_chain.sh, four blank DVD+R LUNs
# of a private tgtd): the same TS (256 MiB, 60 Mbit/s MPEG-2, 1 s GOPs, made
# here once) recorded and finalized by discrec (guest_recorder), burnt by
# cdrskin (-tao) and by growisofs -Z, each onto its own blank, and the raw
# 64 KiB WRITE(12) figure of shared/mmc-target's mmc_sgio_probe (bench mode).
# Each figure is the TS's bytes over the tool's wall time in the guest
# (discrec: record + finalize; verify is not counted).
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

"$tgt/tgt_fixture.sh" start "$dir" > "$work/fixture.log" 2>&1 || { cat "$work/fixture.log"; exit 1; }
trap '"$tgt/tgt_fixture.sh" stop "$dir" >> "$work/fixture.log" 2>&1' EXIT
"$tgt/run_guest_chain.sh" "$dir" bench "$ts" 4 "$bin" "$(command -v cdrskin)" "$(command -v growisofs)" > "$work/chain.log" 2>&1
log=$dir/guest-bench/qemu.log.txt
grep -E "^DISCREC_(GUEST|BENCH):" "$log" > "$work/bench.log"

mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { if (s > 0) printf "%.1f", b / s / 1e6; else print 0 }'; }
fig=$(sed -n 's/^DISCREC_GUEST: figure d0 bytes=[0-9]* record_s=\([0-9.]*\) finalize_s=\([0-9.]*\)/\1 \2/p' "$log")
discrec=0
if [ -n "$fig" ] && grep -q "^DISCREC_GUEST: PASS" "$log"; then
  discrec=$(mbps "$(echo "$fig" | awk '{print $1 + $2}')")
fi
burner() {  # MB/s of a burner that succeeded, else 0
  local line rc s
  line=$(grep "^DISCREC_BENCH: $1 rc=" "$log")
  rc=$(echo "$line" | sed -n 's/.* rc=\([0-9]*\).*/\1/p') s=$(echo "$line" | sed -n 's/.* seconds=\([0-9.]*\).*/\1/p')
  if [ "$rc" = 0 ]; then mbps "$s"; else echo 0; fi
}
cdrskin=$(burner cdrskin) growisofs=$(burner growisofs)
probe=$(sed -n 's/^DISCREC_BENCH: probe| .*WRITE:.* = *\([0-9.]*\).*/\1/p' "$log" | head -1)
probe=${probe:-0}

status=0
for what in discrec cdrskin growisofs probe; do
  if [ "${!what}" = 0 ]; then
    echo "bench_guest_record: $what failed; its guest lines:"
    grep -E "^DISCREC_(GUEST|BENCH): ($what|d0)" "$log" | tail -30
    [ "$what" = discrec ] && { tail -30 "$log"; }
    status=1
  fi
done
echo "guest: TS $bytes bytes; discrec $discrec MB/s (record ${fig% *} s + finalize ${fig#* } s), cdrskin $cdrskin MB/s, growisofs $growisofs MB/s, probe $probe MB/s"
line() {  # name value reference goal
  awk -v n="$1" -v v="$2" -v r="$3" -v g="$4" \
    'BEGIN { printf "%s: %.1f MB/s, reference %.1f MB/s, ratio %.2f (goal >= %s)\n", n, v, r, (r > 0 ? v / r : 0), g }'
}
line guest_discrec_vs_raw_write12_64k "$discrec" "$probe" 0.9
line guest_discrec_vs_cdrskin "$discrec" "$cdrskin" 2
line guest_discrec_vs_growisofs "$discrec" "$growisofs" 2
exit $status
