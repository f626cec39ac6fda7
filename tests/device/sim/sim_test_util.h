// CDB-level helpers for the emulated drive's tests: tiny hand-written CDBs,
// so the emulator is checked against the byte layouts in MMC.md rather than
// against the device/mmc/ builders it is meant to test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/device/scratch_dir.h"
#include "base/clock.h"
#include "device/sim/sim_drive.h"

namespace discrec::device::sim::testing {

inline uint32_t be32_of(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t{b.at(at)} << 24 | uint32_t{b.at(at + 1)} << 16 | uint32_t{b.at(at + 2)} << 8 | b.at(at + 3);
}
inline uint16_t be16_of(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint16_t>(b.at(at) << 8 | b.at(at + 1));
}

struct Answer {
  CommandResult result;
  std::vector<uint8_t> data;
  SenseCode sense() const {
    if (result.sense_length < 14) return {};
    return {static_cast<uint8_t>(result.sense[2] & 0x0F), result.sense[12], result.sense[13]};
  }
  bool good() const { return result.good(); }
};

#define EXPECT_SENSE(answer, k, a, q)                                                      \
  do {                                                                                     \
    auto _a = (answer);                                                                    \
    EXPECT_EQ(_a.result.status, kStatusCheckCondition);                                    \
    EXPECT_EQ(_a.sense(), (SenseCode{k, a, q}))                                            \
        << "got " << int(_a.sense().key) << "/" << std::hex << int(_a.sense().asc) << "/" \
        << int(_a.sense().ascq);                                                           \
  } while (0)

#define EXPECT_GOOD(answer)                                                                          \
  do {                                                                                               \
    auto _a = (answer);                                                                              \
    EXPECT_TRUE(_a.good()) << "sense " << int(_a.sense().key) << "/" << std::hex << int(_a.sense().asc) \
                           << "/" << int(_a.sense().ascq);                                           \
  } while (0)

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  void TearDown() override { drive_.reset(); }  // before the directory goes

  std::string image() const { return dir_.path() + "/" + image_name_; }
  std::string uri(const std::string& params) const { return sim_uri(image()) + "?" + params; }
  static std::string sim_uri(const std::string& path) { return test::ScratchDir::sim_uri(path); }

  // Opens the drive on the test image (closing any previous one).
  void open(const std::string& params) {
    drive_.reset();
    auto d = SimDrive::open(uri(params), TransportOptions{&clock_});
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    drive_ = std::move(d).value();
  }

  Result<CommandResult> raw(std::vector<uint8_t> cdb, DataDirection dir, std::span<uint8_t> data,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    CommandRequest r;
    r.cdb = cdb;
    r.direction = dir;
    r.data = data;
    r.timeout = timeout;
    return drive_->execute(r);
  }
  Answer in(std::vector<uint8_t> cdb, size_t length) {
    Answer a;
    a.data.assign(length, 0xEE);
    auto r = raw(std::move(cdb), DataDirection::kIn, a.data);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (r.ok()) a.result = *r;
    if (a.good()) a.data.resize(length - a.result.residual);
    return a;
  }
  Answer out(std::vector<uint8_t> cdb, std::vector<uint8_t> data) {
    Answer a;
    auto r = raw(std::move(cdb), DataDirection::kOut, data);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (r.ok()) a.result = *r;
    return a;
  }
  Answer none(std::vector<uint8_t> cdb) {
    Answer a;
    auto r = raw(std::move(cdb), DataDirection::kNone, {});
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (r.ok()) a.result = *r;
    return a;
  }

  // --- commands ---
  static std::vector<uint8_t> rw12(uint8_t op, uint32_t lba, uint32_t blocks, bool streaming) {
    return {op, 0, uint8_t(lba >> 24), uint8_t(lba >> 16), uint8_t(lba >> 8), uint8_t(lba),
            uint8_t(blocks >> 24), uint8_t(blocks >> 16), uint8_t(blocks >> 8), uint8_t(blocks),
            uint8_t(streaming ? 0x80 : 0), 0};
  }
  Answer write12(uint32_t lba, uint32_t blocks, bool streaming = true, uint8_t fill = 0x5A) {
    return out(rw12(0xAA, lba, blocks, streaming), std::vector<uint8_t>(size_t{blocks} * 2048, fill));
  }
  Answer write10(uint32_t lba, uint16_t blocks, uint8_t fill = 0x5A) {
    return out({0x2A, 0, uint8_t(lba >> 24), uint8_t(lba >> 16), uint8_t(lba >> 8), uint8_t(lba), 0,
                uint8_t(blocks >> 8), uint8_t(blocks), 0},
               std::vector<uint8_t>(size_t{blocks} * 2048, fill));
  }
  Answer read12(uint32_t lba, uint32_t blocks) { return in(rw12(0xA8, lba, blocks, false), size_t{blocks} * 2048); }
  Answer tur() { return none({0, 0, 0, 0, 0, 0}); }
  Answer sync_cache(bool immed = false) { return none({0x35, uint8_t(immed ? 2 : 0), 0, 0, 0, 0, 0, 0, 0, 0}); }
  Answer send_opc() { return none({0x54, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}); }
  Answer disc_info() { return in({0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0}, 34); }
  Answer track_info(uint32_t number, uint8_t type = 1) {
    return in({0x52, type, uint8_t(number >> 24), uint8_t(number >> 16), uint8_t(number >> 8), uint8_t(number),
               0, 0, 48, 0},
              48);
  }
  Answer reserve(uint32_t blocks) {
    return none({0x53, 0, 0, 0, 0, uint8_t(blocks >> 24), uint8_t(blocks >> 16), uint8_t(blocks >> 8),
                 uint8_t(blocks), 0});
  }
  Answer close(uint8_t function, uint16_t number = 0, bool immed = false) {
    return none({0x5B, uint8_t(immed ? 1 : 0), function, 0, uint8_t(number >> 8), uint8_t(number), 0, 0, 0, 0});
  }
  Answer format(uint8_t type, uint32_t blocks = 0, bool immed = false) {
    return out({0x04, 0x11, 0, 0, 0, 0},
               {0, uint8_t(0x80 | (immed ? 2 : 0)), 0, 8, uint8_t(blocks >> 24), uint8_t(blocks >> 16),
                uint8_t(blocks >> 8), uint8_t(blocks), uint8_t(type << 2), 0, 0x08, 0});
  }
  Answer set_streaming_kbps(uint32_t kbps, uint32_t end_lba = 0x100000) {
    std::vector<uint8_t> pd(28, 0);
    auto put = [&](size_t at, uint32_t v) {
      pd[at] = uint8_t(v >> 24); pd[at + 1] = uint8_t(v >> 16); pd[at + 2] = uint8_t(v >> 8); pd[at + 3] = uint8_t(v);
    };
    put(8, end_lba);
    put(12, kbps);
    put(16, 1000);
    put(20, kbps);
    put(24, 1000);
    return out({0xB6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0}, pd);
  }
  // GET PERFORMANCE type 0x00 nominal write performance: kB/s in effect.
  uint32_t effective_write_kbps() {
    auto a = in({0xAC, 0x14, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0}, 24);
    EXPECT_TRUE(a.good());
    return a.data.size() >= 24 ? be32_of(a.data, 12) : 0;
  }
  uint32_t nwa() {
    auto a = track_info(0xFF);
    EXPECT_TRUE(a.good());
    return a.data.size() >= 16 ? be32_of(a.data, 12) : 0;
  }
  Nanos elapsed_since(TimePoint t) const { return clock_.now() - t; }

  // Switches to another image in the same directory (a different disc).
  void use_image(const std::string& name) {
    drive_.reset();
    image_name_ = name;
  }

  SimulatedClock clock_;
  test::ScratchDir dir_{"discrec-sim-"};
  std::string image_name_ = "disc.img";
  std::unique_ptr<SimDrive> drive_;
};

}  // namespace discrec::device::sim::testing
