// Emulating a 1 GiB streaming write (BD-RE 4x, timing model on, simulated
// clock) must run at close to disk speed: the emulator pwrites straight into
// its sparse image. Reference: a plain pwrite loop of the same size and
// chunk into a fresh file in the same directory, measured in the same run.
// Rounds alternate and the best of each is kept, to ride out page-cache
// writeback noise from other processes.
//
// Prints:
//   sim_streaming_write: <v> MB/s, reference <v> MB/s, ratio <r> (goal >= 0.8)
//   sim_bd4x_simulated_time: <v> s, reference <v> s, ratio <r> (goal >= 0.98)
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/clock.h"
#include "device/sim/sim_drive.h"

namespace {

using namespace discrec;
constexpr uint64_t kBytes = uint64_t{1} << 30;
constexpr uint32_t kChunkBlocks = 32;  // 64 KiB, what burners send on BD
constexpr size_t kChunk = kChunkBlocks * 2048;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double plain_pwrite(const std::string& path, const std::vector<uint8_t>& chunk) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t off = 0; off < kBytes; off += kChunk)
    if (::pwrite(fd, chunk.data(), kChunk, static_cast<off_t>(off)) != static_cast<ssize_t>(kChunk)) {
      ::close(fd);
      return 0;
    }
  double s = seconds_since(t0);
  ::close(fd);
  ::unlink(path.c_str());
  return kBytes / s / 1e6;
}

// Returns MB/s of wall time; `simulated` gets the simulated seconds.
double sim_write(const std::string& path, std::vector<uint8_t>& chunk, double* simulated) {
  ::unlink(path.c_str());
  ::unlink((path + ".state").c_str());
  SimulatedClock clock;
  auto drive = device::sim::SimDrive::open("sim://" + path + "?profile=bd-re&formatted=spares&speed=4",
                                           device::TransportOptions{&clock});
  if (!drive.ok()) {
    std::fprintf(stderr, "%s\n", drive.error().to_string().c_str());
    return 0;
  }
  auto run = [&](std::vector<uint8_t> cdb, device::DataDirection dir, std::span<uint8_t> data) {
    device::CommandRequest r{cdb, dir, data};
    auto res = (*drive)->execute(r);
    return res.ok() && res->good();
  };
  if (!run({0x54, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}, device::DataDirection::kNone, {})) return 0;  // OPC
  TimePoint sim0 = clock.now();
  auto t0 = std::chrono::steady_clock::now();
  uint32_t lba = 0;
  for (uint64_t off = 0; off < kBytes; off += kChunk, lba += kChunkBlocks) {
    std::vector<uint8_t> cdb = {0xAA, 0, uint8_t(lba >> 24), uint8_t(lba >> 16), uint8_t(lba >> 8), uint8_t(lba),
                                0, 0, 0, kChunkBlocks, 0x80, 0};
    if (!run(cdb, device::DataDirection::kOut, chunk)) return 0;
  }
  if (!run({0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, device::DataDirection::kNone, {})) return 0;
  double s = seconds_since(t0);
  *simulated = std::chrono::duration<double>(clock.now() - sim0).count();
  drive->reset();
  ::unlink(path.c_str());
  ::unlink((path + ".state").c_str());
  return kBytes / s / 1e6;
}

}  // namespace

int main() {
  std::string dir = (std::filesystem::temp_directory_path() / "discrec-bench-sim-XXXXXX").string();
  if (!mkdtemp(dir.data())) return 1;
  std::vector<uint8_t> chunk(kChunk, 0x47);
  double best_ref = 0, best_sim = 0, simulated = 0;
  for (int round = 0; round < 3; ++round) {
    best_ref = std::max(best_ref, plain_pwrite(dir + "/plain.bin", chunk));
    best_sim = std::max(best_sim, sim_write(dir + "/disc.img", chunk, &simulated));
  }
  std::filesystem::remove_all(dir);
  if (best_ref <= 0 || best_sim <= 0) {
    std::fprintf(stderr, "bench_sim_write: a run failed\n");
    return 1;
  }
  double expected = kBytes / (4 * 4495625.0);
  std::printf("sim_streaming_write: %.0f MB/s, reference %.0f MB/s, ratio %.2f (goal >= 0.8)\n", best_sim, best_ref,
              best_sim / best_ref);
  double time_ratio = std::min(simulated, expected) / std::max(simulated, expected);
  std::printf("sim_bd4x_simulated_time: %.2f s, reference %.2f s, ratio %.3f (goal >= 0.98)\n", simulated, expected,
              time_ratio);
  return 0;
}
