// Runs inside the QEMU guest (shared/mmc-target's run_qemu_chain.sh), where
// tgt's DVD+R LUN is /dev/sg0 and /dev/sr0 through virtio-scsi: the same
// probe / streaming write / close / read-back as tgt_drive_test, but over
// Linux SG_IO on both device nodes.
//   sgio_guest_check /dev/sg0 /dev/sr0 [MiB]
// Prints "DISCREC_SGIO: PASS" or "DISCREC_SGIO: FAIL <why>"; exit 0/1.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "device/drive.h"

using namespace discrec;
using namespace discrec::device;

namespace {

constexpr uint32_t kBlock = 2048;
constexpr size_t kUnit = 16 * kBlock;  // one DVD ECC block

int fail(const std::string& why) {
  std::printf("DISCREC_SGIO: FAIL %s\n", why.c_str());
  return 1;
}

std::unique_ptr<Drive> open_drive(const std::string& node) {
  auto d = Drive::open("sg://" + node);
  if (!d.ok()) {
    std::printf("DISCREC_SGIO: open %s: %s\n", node.c_str(), d.error().to_string().c_str());
    return nullptr;
  }
  return std::move(*d);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: sgio_guest_check /dev/sgN /dev/srN [MiB]");
  const std::string sg = argv[1], sr = argv[2];
  const size_t total = (argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 64) << 20;

  std::vector<uint8_t> data(total);
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < total; i += 8) {
    uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }

  // Probe through both nodes: the same drive, the same blank DVD+R.
  uint32_t nwa = 0;
  uint16_t track = 1;
  for (const std::string& node : {sg, sr}) {
    auto drive = open_drive(node);
    if (!drive) return fail("cannot open " + node);
    auto caps = drive->probe();
    if (!caps.ok()) return fail(node + " probe: " + caps.error().to_string());
    std::printf("DISCREC_SGIO: %s: %s %s profile %s, 0x0107 present=%d current=%d SW=%d, NWA %s, free %u\n",
                node.c_str(), caps->vendor.c_str(), caps->product.c_str(),
                profile_name(caps->current_profile).c_str(), caps->rt_streaming.present,
                caps->rt_streaming.current, caps->rt_streaming.stream_writing,
                caps->next_writable_address ? std::to_string(*caps->next_writable_address).c_str() : "none",
                caps->free_blocks);
    for (const auto& n : caps->notes) std::printf("DISCREC_SGIO: note: %s\n", n.c_str());
    if (caps->current_profile != profile::kDvdPlusR) return fail(node + ": not a blank DVD+R");
    if (!caps->rt_streaming.present || caps->rt_streaming.current) return fail(node + ": 0x0107 not as tgt reports it");
    if (!caps->next_writable_address || !caps->track) return fail(node + ": no next writable address");
    nwa = *caps->next_writable_address;
    track = caps->track->track_number;
  }

  // First half through sg, second half through sr (one exclusive open at a
  // time), in 32 KiB streaming WRITE(12)s; sr then syncs and closes.
  const std::string writers[2] = {sg, sr};
  for (int half = 0; half < 2; ++half) {
    auto drive = open_drive(writers[half]);
    if (!drive) return fail("cannot reopen " + writers[half] + " for writing");
    for (size_t off = half * (total / 2); off < (half + 1) * (total / 2); off += kUnit) {
      uint32_t lba = nwa + static_cast<uint32_t>(off / kBlock);
      Status s = drive->write12(lba, std::span(data).subspan(off, kUnit), /*streaming=*/true);
      if (!s.ok()) return fail(writers[half] + " write at " + std::to_string(lba) + ": " + s.error().to_string());
    }
    if (half == 1) {
      if (Status c = drive->synchronize_cache(); !c.ok()) return fail(c.error().to_string());
      if (Status c = drive->close_track_session(CloseFunction::kCloseTrack, track); !c.ok())
        return fail(c.error().to_string());
    }
  }
  std::printf("DISCREC_SGIO: wrote %zu MiB at LBA %u (sg then sr), closed track %u\n", total >> 20, nwa, track);

  // Read everything back through each node and compare byte for byte.
  for (const std::string& node : {sg, sr}) {
    auto drive = open_drive(node);
    if (!drive) return fail("cannot open " + node + " for reading");
    auto disc = drive->read_disc_information();
    if (!disc.ok() || disc->status != DiscStatus::kComplete) return fail(node + ": disc not complete after close");
    std::vector<uint8_t> back(2 * kUnit);
    for (size_t off = 0; off < total; off += back.size()) {
      uint32_t lba = nwa + static_cast<uint32_t>(off / kBlock);
      Status r = drive->read12(lba, back, /*streaming=*/true);
      if (!r.ok()) return fail(node + " read at " + std::to_string(lba) + ": " + r.error().to_string());
      if (std::memcmp(back.data(), &data[off], back.size()) != 0)
        return fail(node + ": data differs at LBA " + std::to_string(lba));
    }
    std::printf("DISCREC_SGIO: %s: read back %zu MiB, identical\n", node.c_str(), total >> 20);
  }
  std::printf("DISCREC_SGIO: PASS\n");
  return 0;
}
