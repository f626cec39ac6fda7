// CDB-level helpers for the emulated changer's tests: hand-written SMC-3
// CDBs and a parser of READ ELEMENT STATUS written from the standard's
// tables, so the emulator is checked against the byte layouts rather than
// against device/smc/.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "device/sim/library.h"
#include "device/sim/sim_changer.h"
#include "device/sim/sim_drive.h"
#include "tests/device/scratch_dir.h"
#include "tests/device/sim/sim_test_util.h"

namespace discrec::device::sim::testing {

struct Element {
  uint8_t type = 0;
  uint16_t address = 0;
  uint8_t flags = 0;   // byte 2: Full, ImpExp, Except, Access, ExEnab, InEnab
  uint8_t asc = 0;     // bytes 4-5, when Except
  uint8_t ascq = 0;
  bool svalid = false;
  uint16_t source = 0;
  std::string tag;     // the primary volume tag, trailing spaces cut
  std::string identifier;  // DVCID
  bool full() const { return flags & 0x01; }
};

struct ElementReport {
  uint16_t first = 0;
  uint16_t count = 0;
  uint32_t byte_count = 0;
  std::vector<Element> elements;
};

class ChangerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  void TearDown() override {
    drives_.clear();
    changer_.reset();
  }

  std::string library_dir() const { return dir_.path() + "/lib"; }
  std::string uri(const std::string& params) const {
    std::string d = library_dir();
    return (d.starts_with("/") ? "sim-changer://" : "sim-changer:///") + d + (params.empty() ? "" : "?" + params);
  }

  void open_changer(const std::string& params) {
    changer_.reset();
    auto c = SimChanger::open(uri(params), TransportOptions{&clock_});
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    changer_ = std::move(c).value();
  }
  SimDrive* open_drive(int n, const std::string& params = "timing=off") {
    drives_.erase(n);
    auto d = SimDrive::open(uri(params + "&drive=" + std::to_string(n)), TransportOptions{&clock_});
    EXPECT_TRUE(d.ok()) << d.error().to_string();
    if (!d.ok()) return nullptr;
    SimDrive* raw = d->get();
    drives_[n] = std::move(d).value();
    return raw;
  }

  static Answer run(Transport& t, std::vector<uint8_t> cdb, DataDirection dir, size_t length,
                    std::chrono::milliseconds timeout = std::chrono::seconds(600)) {
    Answer a;
    a.data.assign(length, 0xEE);
    CommandRequest r;
    r.cdb = cdb;
    r.direction = dir;
    r.data = a.data;
    r.timeout = timeout;
    auto result = t.execute(r);
    EXPECT_TRUE(result.ok()) << result.error().to_string();
    if (result.ok()) a.result = *result;
    if (a.good() && dir == DataDirection::kIn) a.data.resize(length - a.result.residual);
    return a;
  }
  Answer in(std::vector<uint8_t> cdb, size_t length) { return run(*changer_, std::move(cdb), DataDirection::kIn, length); }
  Answer none(std::vector<uint8_t> cdb) { return run(*changer_, std::move(cdb), DataDirection::kNone, 0); }

  static std::vector<uint8_t> res_cdb(uint8_t type, uint16_t start, uint16_t count, bool voltag, uint32_t alloc,
                                      bool dvcid = false) {
    return {0xB8, uint8_t((voltag ? 0x10 : 0) | type), uint8_t(start >> 8), uint8_t(start), uint8_t(count >> 8),
            uint8_t(count), uint8_t(dvcid ? 1 : 0), uint8_t(alloc >> 16), uint8_t(alloc >> 8), uint8_t(alloc), 0, 0};
  }
  Answer move(uint16_t from, uint16_t to, uint16_t transport = 0,
              std::chrono::milliseconds timeout = std::chrono::seconds(600)) {
    return run(*changer_,
               {0xA5, 0, uint8_t(transport >> 8), uint8_t(transport), uint8_t(from >> 8), uint8_t(from), uint8_t(to >> 8),
                uint8_t(to), 0, 0, 0, 0},
               DataDirection::kNone, 0, timeout);
  }

  // Parses a whole report (pages of descriptors) from the SMC-3 tables.
  static ElementReport parse(const std::vector<uint8_t>& d) {
    ElementReport r;
    if (d.size() < 8) return r;
    r.first = be16_of(d, 0);
    r.count = be16_of(d, 2);
    r.byte_count = uint32_t{d[5]} << 16 | uint32_t{d[6]} << 8 | d[7];
    size_t at = 8;
    while (at + 8 <= d.size()) {
      uint8_t type = d[at];
      bool pvoltag = d[at + 1] & 0x80;
      size_t length = be16_of(d, at + 2);
      size_t bytes = uint32_t{d[at + 5]} << 16 | uint32_t{d[at + 6]} << 8 | d[at + 7];
      at += 8;
      EXPECT_GT(length, 0u);
      if (length == 0) break;
      size_t end = std::min(d.size(), at + bytes);
      for (; at + length <= end; at += length) {
        Element e;
        e.type = type;
        e.address = be16_of(d, at);
        e.flags = d[at + 2];
        e.asc = d[at + 4];
        e.ascq = d[at + 5];
        e.svalid = d[at + 9] & 0x80;
        e.source = be16_of(d, at + 10);
        size_t next = at + 12;
        if (pvoltag) {
          e.tag.assign(d.begin() + next, d.begin() + next + 32);
          e.tag.erase(e.tag.find_last_not_of(' ') + 1);
          next += 36;
        }
        if (next + 4 <= at + length) {
          size_t n = d[next + 3];
          if (next + 4 + n <= at + length) e.identifier.assign(d.begin() + next + 4, d.begin() + next + 4 + n);
          e.identifier.erase(e.identifier.find_last_not_of(' ') + 1);
        }
        r.elements.push_back(e);
      }
      at = end;
    }
    return r;
  }
  ElementReport status(uint8_t type = 0, uint16_t start = 0, uint16_t count = 0xFFFF, bool voltag = true) {
    auto a = in(res_cdb(type, start, count, voltag, 0xFFFF), 0xFFFF);
    EXPECT_TRUE(a.good()) << int(a.sense().key) << "/" << std::hex << int(a.sense().asc) << "/" << int(a.sense().ascq);
    return parse(a.data);
  }
  std::optional<Element> element(uint16_t address) {
    for (const auto& e : status().elements)
      if (e.address == address) return e;
    return std::nullopt;
  }

  // MMC side, for the drives.
  static uint16_t current_profile(Transport& drive) {
    auto a = run(drive, {0x46, 0x01, 0, 0, 0, 0, 0, 0, 8, 0}, DataDirection::kIn, 8);
    EXPECT_TRUE(a.good());
    return a.data.size() >= 8 ? be16_of(a.data, 6) : 0xFFFF;
  }
  static Answer tur(Transport& drive) { return run(drive, {0, 0, 0, 0, 0, 0}, DataDirection::kNone, 0); }
  // READ DISC INFORMATION byte 2 bits 1-0: 0 blank, 1 incomplete, 2 finalized.
  static int disc_status(Transport& drive) {
    auto a = run(drive, {0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0}, DataDirection::kIn, 34);
    EXPECT_TRUE(a.good()) << int(a.sense().key) << "/" << std::hex << int(a.sense().asc);
    return a.data.size() > 2 ? a.data[2] & 0x03 : -1;
  }

  SimulatedClock clock_;
  test::ScratchDir dir_{"discrec-changer-"};
  std::unique_ptr<SimChanger> changer_;
  std::map<int, std::unique_ptr<SimDrive>> drives_;
};

}  // namespace discrec::device::sim::testing
