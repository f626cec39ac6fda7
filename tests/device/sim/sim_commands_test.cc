// Identification, features, performance, mode pages and mechanism commands
// of the emulated drive, byte by byte against MMC.md.
#include <map>

#include "device/sim/sim_transport.h"

#include "tests/device/sim/sim_test_util.h"

namespace discrec::device::sim::testing {
namespace {

struct Feature {
  uint8_t flags = 0;  // byte 2: version, persistent, current
  std::vector<uint8_t> data;
  bool current() const { return flags & 0x01; }
};

class CommandsTest : public SimTest {
 protected:
  // GET CONFIGURATION the way hosts do it: header first, then the whole list.
  std::map<uint16_t, Feature> configuration(uint8_t rt = 0, uint16_t start = 0, uint16_t* profile = nullptr) {
    auto head = in({0x46, rt, uint8_t(start >> 8), uint8_t(start), 0, 0, 0, 0, 8, 0}, 8);
    EXPECT_TRUE(head.good());
    EXPECT_EQ(head.data.size(), 8u);
    uint32_t total = be32_of(head.data, 0) + 4;
    auto all = in({0x46, rt, uint8_t(start >> 8), uint8_t(start), 0, 0, 0, uint8_t(total >> 8), uint8_t(total), 0},
                  total + 100);
    EXPECT_EQ(all.data.size(), total);  // residual covers the rest of the buffer
    if (profile) *profile = be16_of(all.data, 6);
    std::map<uint16_t, Feature> out;
    uint16_t last = 0;
    for (size_t at = 8; at + 4 <= all.data.size();) {
      uint16_t code = be16_of(all.data, at);
      size_t len = all.data[at + 3];
      EXPECT_EQ(len % 4, 0u);
      EXPECT_TRUE(out.empty() || code > last) << "features ascend";
      last = code;
      Feature f;
      f.flags = all.data[at + 2];
      f.data.assign(all.data.begin() + at + 4, all.data.begin() + std::min(all.data.size(), at + 4 + len));
      out[code] = f;
      at += 4 + len;
    }
    return out;
  }
};

TEST_F(CommandsTest, InquiryIdentifiesAnMmcDevice) {
  open("profile=bd-re&timing=off");
  auto a = in({0x12, 0, 0, 0, 36, 0}, 96);
  ASSERT_TRUE(a.good());
  EXPECT_EQ(a.data.size(), 36u);
  EXPECT_EQ(a.data[0] & 0x1F, 0x05);
  EXPECT_TRUE(a.data[1] & 0x80);
  EXPECT_EQ(std::string(a.data.begin() + 8, a.data.begin() + 15), "DISCREC");
  auto serial = in({0x12, 1, 0x80, 0, 64, 0}, 64);
  EXPECT_TRUE(serial.good());
  EXPECT_SENSE(in({0x12, 1, 0x83, 0, 64, 0}, 64), 5, 0x24, 0x00);
  EXPECT_SENSE(in({0x12, 0, 0x80, 0, 64, 0}, 64), 5, 0x24, 0x00);
}

TEST_F(CommandsTest, InquiryNamesABdOrDvdWriterAfterItsMedium) {
  auto product = [&](const std::string& uri) {
    image_name_ = uri.substr(0, uri.find('&')) + ".img";  // a new disc of that kind
    open(uri);
    auto a = in({0x12, 0, 0, 0, 36, 0}, 96);
    EXPECT_TRUE(a.good());
    std::string p(a.data.begin() + 16, a.data.begin() + 32);
    return p.substr(0, p.find_last_not_of(' ') + 1);
  };
  EXPECT_EQ(product("profile=bd-r&timing=off"), "SIM BD WRITER");
  EXPECT_EQ(product("profile=dvd+r&timing=off"), "SIM DVD WRITER");
}

TEST_F(CommandsTest, UnknownOpcodesAndBadFields) {
  open("profile=bd-re&timing=off");
  EXPECT_SENSE(none({0x01, 0, 0, 0, 0, 0}), 5, 0x20, 0x00);
  EXPECT_SENSE(none({0xA1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 5, 0x20, 0x00);  // BLANK: not a CD/DVD-RW drive
  EXPECT_SENSE(none({0xC0, 0, 0, 0, 0, 0}), 5, 0x20, 0x00);
  EXPECT_SENSE(in({0x46, 0x03, 0, 0, 0, 0, 0, 0, 8, 0}, 8), 5, 0x24, 0x00);
  EXPECT_SENSE(none({0x46, 0, 0}), 5, 0x24, 0x00);  // CDB too short
  EXPECT_SENSE(in({0x51, 0x02, 0, 0, 0, 0, 0, 0, 34, 0}, 34), 5, 0x24, 0x00);
  EXPECT_SENSE(in({0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x07, 0}, 24), 5, 0x24, 0x00);
  EXPECT_SENSE(in({0xAC, 0x04, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0}, 24), 5, 0x24, 0x00);  // tolerance 00b
  EXPECT_SENSE(in({0x4A, 0x00, 0, 0, 0x10, 0, 0, 0, 8, 0}, 8), 5, 0x24, 0x00);  // not polled
}

struct ProfileCase {
  const char* name;
  uint16_t profile;
  bool bd;
  bool random;
};

class ProfileFeaturesTest : public CommandsTest, public ::testing::WithParamInterface<ProfileCase> {};

TEST_P(ProfileFeaturesTest, FeaturesAsARealDriveReportsThem) {
  const auto& p = GetParam();
  open(std::string("profile=") + p.name + "&timing=off&formatted=spares");
  uint16_t current = 0;
  auto f = configuration(0, 0, &current);
  EXPECT_EQ(current, p.profile);
  for (uint16_t code : {0x0000, 0x0001, 0x0003, 0x0010, 0x0020, 0x0021, 0x0023, 0x0024, 0x0026, 0x002F, 0x0040,
                        0x0041, 0x0100, 0x0107})
    EXPECT_TRUE(f.count(code)) << std::hex << code;
  // Profile list: every profile, the loaded one current.
  int current_profiles = 0;
  bool listed = false;
  for (size_t i = 0; i + 4 <= f[0].data.size(); i += 4) {
    uint16_t number = be16_of(f[0].data, i);
    if (f[0].data[i + 2] & 1) {
      ++current_profiles;
      EXPECT_EQ(number, p.profile);
    }
    listed |= number == p.profile;
  }
  EXPECT_TRUE(listed);
  EXPECT_EQ(current_profiles, 1);
  EXPECT_TRUE(f[0x0001].current());
  EXPECT_TRUE(f[0x0010].current());
  EXPECT_EQ(be16_of(f[0x0010].data, 4), p.bd ? 32 : 16);  // blocking = ECC unit
  EXPECT_EQ(f[0x0020].current(), p.random);
  EXPECT_EQ(f[0x0040].current(), p.bd);
  EXPECT_EQ(f[0x0041].current(), p.bd);
  // Real-Time Streaming: current, SW, WSPD, SCS and RBCB set.
  ASSERT_FALSE(f[0x0107].data.empty());
  EXPECT_TRUE(f[0x0107].current());
  EXPECT_EQ(f[0x0107].data[0] & 0x1B, 0x1B);
  // RT=01b lists only current features; RT=10b exactly the one asked for.
  for (const auto& [code, feature] : configuration(1)) EXPECT_TRUE(feature.current()) << std::hex << code;
  auto one = configuration(2, 0x0107);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_TRUE(one.count(0x0107));
  auto from = configuration(0, 0x0100);
  EXPECT_FALSE(from.count(0x0041));
  EXPECT_TRUE(from.count(0x0107));
}

TEST_P(ProfileFeaturesTest, WriteSpeedsPerMedia) {
  const auto& p = GetParam();
  open(std::string("profile=") + p.name + "&timing=off&formatted=spares");
  auto head = in({0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0}, 8);
  ASSERT_TRUE(head.good());
  uint32_t n = (be32_of(head.data, 0) - 4) / 16;
  ASSERT_GE(n, 2u);
  auto all = in({0xAC, 0, 0, 0, 0, 0, 0, 0, 0, uint8_t(n), 0x03, 0}, 8 + 16 * n);
  ASSERT_EQ(all.data.size(), 8 + 16 * n);
  uint32_t one_x = p.bd ? 4495 : 1385;
  uint32_t previous = UINT32_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t kbps = be32_of(all.data, 8 + 16 * i + 12);
    EXPECT_LT(kbps, previous);  // fastest first
    EXPECT_GE(kbps, one_x);
    EXPECT_GT(be32_of(all.data, 8 + 16 * i + 4), 1000000u);  // end LBA: a real capacity
    previous = kbps;
  }
  // Max descriptors is honoured; the length still announces all of them.
  auto one = in({0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x03, 0}, 8 + 16 * n);
  EXPECT_EQ(one.data.size(), 24u);
  EXPECT_EQ(be32_of(one.data, 0), 4 + 16 * n);
  // Every listed speed can be chosen and takes effect.
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t kbps = be32_of(all.data, 8 + 16 * i + 12);
    EXPECT_GOOD(set_streaming_kbps(kbps + 3));
    EXPECT_EQ(effective_write_kbps(), kbps);
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, ProfileFeaturesTest,
                         ::testing::Values(ProfileCase{"bd-re", 0x0043, true, true},
                                           ProfileCase{"bd-r", 0x0041, true, false},
                                           ProfileCase{"dvd-ram", 0x0012, false, true},
                                           ProfileCase{"dvd+r", 0x001B, false, false},
                                           ProfileCase{"dvd+rw", 0x001A, false, true},
                                           ProfileCase{"dvd-r", 0x0011, false, false}),
                         [](const auto& info) {
                           std::string n;
                           for (char ch : std::string(info.param.name))
                             n += ch == '+' ? "plus" : ch == '-' ? "minus" : std::string(1, ch);
                           return n;
                         });

TEST_F(CommandsTest, SpeedSelectionPicksTheNearest) {
  open("profile=bd-r&timing=off&speed=4");
  EXPECT_EQ(effective_write_kbps(), 17982u);
  EXPECT_GOOD(set_streaming_kbps(10000));  // between 2x (8991) and 4x: 2x is nearer
  EXPECT_EQ(effective_write_kbps(), 8991u);
  EXPECT_GOOD(set_streaming_kbps(1));
  EXPECT_EQ(effective_write_kbps(), 8991u);
  EXPECT_GOOD(none({0xBB, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0}));  // SET CD SPEED max
  EXPECT_EQ(effective_write_kbps(), 53947u);
  EXPECT_GOOD(none({0xBB, 0, 0xFF, 0xFF, 0x6A, 0x00, 0, 0, 0, 0, 0, 0}));  // 27136 kB/s: 6x
  EXPECT_EQ(effective_write_kbps(), 26973u);
  // Exact=1 with a speed the disc does not have.
  std::vector<uint8_t> pd(28, 0);
  pd[0] = 0x02;
  pd[22] = 0x27;  // 10000 kB
  pd[23] = 0x10;
  pd[26] = 0x03;  // 1000 ms
  pd[27] = 0xE8;
  EXPECT_SENSE(out({0xB6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0}, pd), 5, 0x26, 0x00);
  EXPECT_SENSE(out({0xB6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0}, pd), 5, 0x1A, 0x00);
  EXPECT_SENSE(out({0xB6, 0, 0, 0, 0, 0, 0, 0, 0x05, 0, 28, 0}, pd), 5, 0x24, 0x00);
  pd[0] = 0x04;  // RDD: defaults (fastest)
  EXPECT_GOOD(out({0xB6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0}, pd));
  EXPECT_EQ(effective_write_kbps(), 53947u);
  // Read performance, and exceptions (none).
  auto read = in({0xAC, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0}, 24);
  EXPECT_EQ(be32_of(read.data, 12), 35965u);
  auto exc = in({0xAC, 0x16, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0}, 24);
  EXPECT_EQ(exc.data.size(), 8u);
  EXPECT_EQ(exc.data[4], 0x03);
}

TEST_F(CommandsTest, DiscInformationAllocationLengthIsHonoured) {
  open("profile=dvd+r&timing=off");
  auto a = in({0x51, 0, 0, 0, 0, 0, 0, 0, 8, 0}, 34);
  ASSERT_TRUE(a.good());
  EXPECT_EQ(a.data.size(), 8u);
  EXPECT_EQ(a.result.residual, 26u);
  EXPECT_EQ(be16_of(a.data, 0), 32);
  auto full = disc_info();
  EXPECT_EQ(be32_of(full.data, 20), 2295104u);  // last possible lead-out: the capacity
}

TEST_F(CommandsTest, ReadBufferCapacityInBytesAndBlocks) {
  open("profile=bd-re&timing=off&buffer=8192");
  auto bytes = in({0x5C, 0, 0, 0, 0, 0, 0, 0, 12, 0}, 12);
  ASSERT_TRUE(bytes.good());
  EXPECT_EQ(be32_of(bytes.data, 4), 8u << 20);
  EXPECT_EQ(be32_of(bytes.data, 8), 8u << 20);  // idle: empty
  auto blocks = in({0x5C, 1, 0, 0, 0, 0, 0, 0, 12, 0}, 12);
  EXPECT_EQ(blocks.data[3] & 1, 1);
  EXPECT_EQ(be32_of(blocks.data, 8), 4096u);
}

TEST_F(CommandsTest, ModePages) {
  open("profile=bd-re&timing=off&buffer=2048");
  auto p2a = in({0x5A, 0x08, 0x2A, 0, 0, 0, 0, 0, 255, 0}, 255);
  ASSERT_TRUE(p2a.good());
  EXPECT_EQ(be16_of(p2a.data, 0) + 2u, p2a.data.size());
  EXPECT_EQ(be16_of(p2a.data, 6), 0);  // no block descriptors
  const uint8_t* page = p2a.data.data() + 8;
  EXPECT_EQ(page[0] & 0x3F, 0x2A);
  EXPECT_EQ(page[12] << 8 | page[13], 2048);  // buffer KiB
  EXPECT_EQ(page[30] << 8 | page[31], 3);     // write speed descriptors
  EXPECT_EQ(page[28] << 8 | page[29], 17982); // current write speed: 4x (fastest BD-RE)
  auto p05 = in({0x5A, 0x08, 0x05, 0, 0, 0, 0, 0, 255, 0}, 255);
  ASSERT_TRUE(p05.good());
  EXPECT_EQ(p05.data[8] & 0x3F, 0x05);
  EXPECT_EQ(p05.data[9], 0x32);
  EXPECT_SENSE(in({0x5A, 0x08, 0xC5, 0, 0, 0, 0, 0, 255, 0}, 255), 5, 0x39, 0x00);  // saved values
  EXPECT_SENSE(in({0x5A, 0x08, 0x1A, 0, 0, 0, 0, 0, 255, 0}, 255), 5, 0x24, 0x00);
  // MODE SELECT round trip of page 05.
  std::vector<uint8_t> sel(p05.data);
  sel[0] = sel[1] = 0;
  sel[8 + 3] = 0xC5;
  EXPECT_GOOD(out({0x55, 0x10, 0, 0, 0, 0, 0, 0, uint8_t(sel.size()), 0}, sel));
  EXPECT_EQ(in({0x5A, 0x08, 0x05, 0, 0, 0, 0, 0, 255, 0}, 255).data[11], 0xC5);
  EXPECT_SENSE(out({0x55, 0x00, 0, 0, 0, 0, 0, 0, uint8_t(sel.size()), 0}, sel), 5, 0x24, 0x00);  // PF=0
  EXPECT_SENSE(out({0x55, 0x10, 0, 0, 0, 0, 0, 0, 9, 0}, sel), 5, 0x1A, 0x00);
  std::vector<uint8_t> sel2a(p2a.data);
  sel2a[0] = sel2a[1] = 0;
  EXPECT_SENSE(out({0x55, 0x10, 0, 0, 0, 0, 0, 0, uint8_t(sel2a.size()), 0}, sel2a), 5, 0x26, 0x00);
}

TEST_F(CommandsTest, EjectLoadAndEvents) {
  open("profile=bd-re&timing=off&formatted=spares");
  auto event = [&] { return in({0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0}, 8); };
  EXPECT_EQ(event().data[4], 0);  // no change
  EXPECT_GOOD(none({0x1E, 0, 0, 0, 1, 0}));  // prevent removal
  EXPECT_SENSE(none({0x1B, 0, 0, 0, 0x02, 0}), 5, 0x53, 0x02);
  EXPECT_GOOD(none({0x1E, 0, 0, 0, 0, 0}));
  EXPECT_GOOD(none({0x1B, 0, 0, 0, 0x02, 0}));  // eject
  EXPECT_SENSE(tur(), 2, 0x3A, 0x00);
  EXPECT_SENSE(read12(0, 1), 2, 0x3A, 0x00);
  auto e = event();
  EXPECT_EQ(e.data[2] & 0x07, 4);  // media class
  EXPECT_EQ(e.data[4], 3);         // media removal
  EXPECT_EQ(e.data[5] & 0x02, 0);  // not present
  uint16_t profile = 1;
  in({0x46, 1, 0, 0, 0, 0, 0, 0, 8, 0}, 8);
  auto head = in({0x46, 1, 0, 0, 0, 0, 0, 0, 8, 0}, 8);
  profile = be16_of(head.data, 6);
  EXPECT_EQ(profile, 0);
  EXPECT_GOOD(none({0x1B, 0, 0, 0, 0x03, 0}));  // load
  EXPECT_GOOD(tur());
  e = event();
  EXPECT_EQ(e.data[4], 2);  // new media
  EXPECT_EQ(e.data[5] & 0x02, 0x02);
  EXPECT_EQ(event().data[4], 0);  // reported once
  auto only_power = in({0x4A, 0x01, 0, 0, 0x04, 0, 0, 0, 8, 0}, 8);
  EXPECT_TRUE(only_power.data[2] & 0x80);  // NEA
}

TEST_F(CommandsTest, RequestSenseReportsStandingConditions) {
  open("profile=bd-re&timing=off&medium=absent");
  auto s = in({0x03, 0, 0, 0, 18, 0}, 18);
  ASSERT_TRUE(s.good());
  EXPECT_EQ(s.data[0] & 0x7F, 0x70);
  EXPECT_EQ(s.data[2] & 0x0F, 2);
  EXPECT_EQ(s.data[12], 0x3A);
  EXPECT_GOOD(none({0x1B, 0, 0, 0, 0x03, 0}));
  s = in({0x03, 0, 0, 0, 18, 0}, 18);
  EXPECT_EQ(s.data[2] & 0x0F, 0);
  EXPECT_EQ(s.data[12], 0);
}

TEST_F(CommandsTest, SenseCarriesTheFailingLba) {
  open("profile=dvd+r&timing=off");
  auto a = write12(64, 16);
  EXPECT_EQ(a.result.sense[0], 0xF0);  // valid, current, fixed format
  EXPECT_EQ(be32_of(std::vector<uint8_t>(a.result.sense.begin(), a.result.sense.begin() + 8), 3), 64u);
}

TEST_F(CommandsTest, OpenSimTransportEntryPoint) {
  auto t = open_sim_transport(uri("profile=bd-r&timing=off"), TransportOptions{&clock_});
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ((*t)->describe(), uri("profile=bd-r&timing=off"));
  auto bad = open_sim_transport("sim:///nonexistent-dir/x/y.img", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace discrec::device::sim::testing
