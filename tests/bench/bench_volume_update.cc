// What adding a recording to a rewritable disc's volume costs, on a disc that
// already holds 1, 100 and 1,000 recordings (udf/volume_update.h): the drive
// time of the whole update (reading the live volume, writing the new
// metadata, the switch at 256, the copies, each flushed) and the bytes it
// writes, against writing and flushing the recording's last ECC unit on the
// same emulated drive in the same run. Drive time is the emulated BD-RE's
// (timing model on, simulated clock): repeatable whatever else the machine
// does. The planner's own CPU time is printed beside it (wall clock, best of
// five), and how each grows from 100 to 1,000 recordings against linear
// growth.
//
// Prints:
//   volume_update_drive_time_<N>: <v> ms, reference <v> ms, ratio <r> (goal >= 0.05)
//   volume_update_bytes_<N>: <v> KiB, reference <v> KiB, ratio <r> (goal >= 0.1)
//   volume_update_plan_cpu_<N>: <v> ms, reference <v> ms, ratio <r> (goal >= 1)
//   volume_update_growth_<what>_100_to_1000: <v> x, reference 10 x, ratio <r> (goal >= 1)
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/clock.h"
#include "device/drive.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/layout.h"
#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"
#include "recorder/udf/volume_update.h"

namespace {

using namespace discrec;
using namespace discrec::recorder::udf;
using WallTime = discrec::recorder::udf::TimePoint;

constexpr uint32_t kUnit = 32;            // BD cluster
constexpr uint32_t kCapacity = 1'200'000;  // 2.4 GB: room for 1,000 short recordings
constexpr uint32_t kRecordingUnits = 8;    // each recording: 8 clusters in 4 extents (interleaved)

struct Figures {
  double drive_ms = 0;      // the update, in the drive's time
  double unit_ms = 0;       // one ECC unit written and flushed, same drive
  double plan_cpu_ms = 0;   // read_volume + plan_update, wall clock, best of 5
  uint64_t bytes = 0;       // what the update writes
};

Status write_all(device::Drive& drive, const std::vector<SectorWrite>& writes) {
  for (const SectorWrite& w : writes) {
    for (size_t off = 0; off < w.bytes.size(); off += size_t{kUnit} * kSectorSize) {
      const size_t n = std::min<size_t>(w.bytes.size() - off, size_t{kUnit} * kSectorSize);
      RETURN_IF_ERROR(drive.write12(w.lba + static_cast<uint32_t>(off / kSectorSize),
                                    std::span(w.bytes).subspan(off, n), /*streaming=*/false));
    }
  }
  return drive.synchronize_cache();
}

FileSpec recording(uint32_t index, uint32_t lba) {
  FileSpec f;
  f.name = "2026-12-05T10-00-00Z_rec" + std::to_string(index) + "_evening.ts";
  f.created = f.modified = WallTime(std::chrono::seconds(1'795'000'000 + index * 3600));
  for (uint32_t e = 0; e < 4; ++e) f.extents.push_back({lba + e * 2 * 2 * kUnit, 2 * kUnit});
  f.size = uint64_t{kRecordingUnits} * kUnit * kSectorSize - 100;
  return f;
}

Result<Figures> measure(const std::string& dir, uint32_t recordings) {
  const std::string path = dir + "/disc" + std::to_string(recordings) + ".img";
  SimulatedClock clock;
  ASSIGN_OR_RETURN(auto drive, device::Drive::open("sim://" + path + "?profile=bd-re&formatted=nospares&speed=2&blocks=" +
                                                       std::to_string(kCapacity),
                                                   device::TransportOptions{&clock}));
  // The disc: a discrec volume of `recordings` recordings, two interleaved at a time.
  LayoutRequest request{MediaKind::kRandomAccess, kCapacity, kUnit, 1000};
  ASSIGN_OR_RETURN(VolumeLayout layout, plan_layout(request));
  VolumeSpec spec{"BENCH", WallTime(std::chrono::seconds(1'795'000'000)), WallTime(std::chrono::seconds(1'795'000'000)),
                  {}, 0};
  uint32_t lba = layout.data_start;
  for (uint32_t i = 0; i < recordings; ++i) {
    spec.files.push_back(recording(i, lba + (i % 2) * 2 * kUnit));
    if (i % 2 == 1) lba += 2 * kRecordingUnits * kUnit;
  }
  ASSIGN_OR_RETURN(auto writes, build_volume(layout, spec));
  RETURN_IF_ERROR(write_all(*drive, writes));

  Figures f;
  const FileSpec added = recording(recordings, lba + 4 * kRecordingUnits * kUnit);
  VolumeChange change;
  change.add = {added};
  change.when = WallTime(std::chrono::seconds(1'796'000'000));
  // The planner on its own (no drive time in it): best of five.
  f.plan_cpu_ms = 1e300;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    DriveSectorSource source(*drive, 0);
    ASSIGN_OR_RETURN(ParsedVolume live, read_volume(source));
    ASSIGN_OR_RETURN(VolumeUpdate planned, plan_update(source, live, change, kUnit));
    f.plan_cpu_ms = std::min(f.plan_cpu_ms,
                             std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  // The update as the session does it, in the drive's time.
  const discrec::TimePoint t0 = clock.now();
  DriveSectorSource source(*drive, 0);
  ASSIGN_OR_RETURN(ParsedVolume live, read_volume(source));
  ASSIGN_OR_RETURN(VolumeUpdate update, plan_update(source, live, change, kUnit));
  RETURN_IF_ERROR(write_all(*drive, update.prepare));
  RETURN_IF_ERROR(write_all(*drive, {update.commit}));
  RETURN_IF_ERROR(write_all(*drive, update.complete));
  f.drive_ms = std::chrono::duration<double, std::milli>(clock.now() - t0).count();
  for (const auto& w : update.prepare) f.bytes += w.bytes.size();
  f.bytes += update.commit.bytes.size();
  for (const auto& w : update.complete) f.bytes += w.bytes.size();
  // Reference: the recording's last ECC unit, written and flushed.
  std::vector<uint8_t> unit(size_t{kUnit} * kSectorSize, 0x47);
  const discrec::TimePoint r0 = clock.now();
  RETURN_IF_ERROR(drive->write12(added.extents.back().lba, unit, /*streaming=*/false));
  RETURN_IF_ERROR(drive->synchronize_cache());
  f.unit_ms = std::chrono::duration<double, std::milli>(clock.now() - r0).count();
  // The result reads back as one more recording.
  DriveSectorSource check(*drive, 0);
  ASSIGN_OR_RETURN(ParsedVolume after, read_volume(check));
  if (after.files.size() != recordings + 2)  // /DISCREC and every recording
    return Error(ErrorCode::kInternal, "the updated volume lists " + std::to_string(after.files.size()) + " entries");
  drive.reset();
  ::unlink(path.c_str());
  ::unlink((path + ".state").c_str());
  return f;
}

}  // namespace

int main() {
  std::string dir = (std::filesystem::temp_directory_path() / "discrec-bench-volume-XXXXXX").string();
  if (!mkdtemp(dir.data())) return 1;
  std::vector<std::pair<uint32_t, Figures>> results;
  for (uint32_t n : {1u, 100u, 1000u}) {
    auto f = measure(dir, n);
    if (!f.ok()) {
      std::fprintf(stderr, "bench_volume_update: %u recordings: %s\n", n, f.error().to_string().c_str());
      std::filesystem::remove_all(dir);
      return 1;
    }
    results.push_back({n, *f});
  }
  std::filesystem::remove_all(dir);
  const double unit_kib = kUnit * kSectorSize / 1024.0;
  for (const auto& [n, f] : results) {
    std::printf("volume_update_drive_time_%u: %.1f ms, reference %.1f ms, ratio %.4f (goal >= 0.05)\n", n, f.drive_ms,
                f.unit_ms, f.unit_ms / f.drive_ms);
    std::printf("volume_update_bytes_%u: %.0f KiB, reference %.0f KiB, ratio %.4f (goal >= 0.1)\n", n,
                f.bytes / 1024.0, unit_kib, unit_kib * 1024.0 / static_cast<double>(f.bytes));
    std::printf("volume_update_plan_cpu_%u: %.2f ms, reference %.2f ms, ratio %.4f (goal >= 1)\n", n,
                f.plan_cpu_ms, f.unit_ms, f.unit_ms / f.plan_cpu_ms);
  }
  const Figures& f100 = results[1].second;
  const Figures& f1000 = results[2].second;
  const auto growth = [](const char* what, double at100, double at1000) {
    const double g = at1000 / at100;
    std::printf("volume_update_growth_%s_100_to_1000: %.2f x, reference 10 x, ratio %.2f (goal >= 1)\n", what, g,
                10.0 / g);
  };
  growth("drive_time", f100.drive_ms, f1000.drive_ms);
  growth("bytes", static_cast<double>(f100.bytes), static_cast<double>(f1000.bytes));
  growth("plan_cpu", f100.plan_cpu_ms, f1000.plan_cpu_ms);
  return 0;
}
