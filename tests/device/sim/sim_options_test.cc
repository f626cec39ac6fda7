#include "device/sim/sim_options.h"

#include <gtest/gtest.h>

#include "device/sim/faults.h"

namespace discrec::device::sim {
namespace {

TEST(SimOptionsTest, ParsesEveryParameter) {
  auto o = parse_sim_uri(
      "sim:///tmp/d.img?profile=dvd%2Br&speed=2.4");
  EXPECT_FALSE(o.ok());  // no percent-decoding: profile names are plain
  o = parse_sim_uri(
      "sim:///tmp/d.img?profile=dvd+r&speed=2.4&timing=off&faults=/tmp/f.txt&buffer=2048&blocks=4096"
      "&host_mbps=40&seek_ms=5&opc_ms=7&powercut=on&formatted=nospares&medium=absent&rate_divisor=277");
  ASSERT_TRUE(o.ok()) << o.error().to_string();
  EXPECT_EQ(o->image_path, "/tmp/d.img");
  ASSERT_NE(o->media, nullptr);
  EXPECT_EQ(o->media->profile, 0x001B);
  EXPECT_EQ(o->speed_x10, 24);
  EXPECT_FALSE(o->timing);
  EXPECT_EQ(o->faults_path, "/tmp/f.txt");
  EXPECT_EQ(o->buffer_bytes, 2048u * 1024);
  EXPECT_EQ(o->blocks, 4096u);
  EXPECT_EQ(o->host_bytes_per_second, 40'000'000u);
  EXPECT_EQ(o->seek_ms, 5u);
  EXPECT_EQ(o->opc_ms, 7u);
  EXPECT_TRUE(o->powercut);
  EXPECT_EQ(o->preformat, Preformat::kWithoutSpares);
  EXPECT_TRUE(o->start_empty);
  EXPECT_EQ(o->rate_divisor, 277u);
}

TEST(SimOptionsTest, DefaultsWithoutQuery) {
  auto o = parse_sim_uri("sim:///var/lib/discrecd/disc0.img");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->media, nullptr);
  EXPECT_TRUE(o->timing);
  EXPECT_FALSE(o->powercut);
  EXPECT_EQ(o->buffer_bytes, 4u << 20);
}

TEST(SimOptionsTest, WindowsDriveLetterPath) {
  auto o = parse_sim_uri("sim:///C:/ProgramData/discrecd/bd0.img?profile=bd-re");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->image_path, "C:/ProgramData/discrecd/bd0.img");
}

TEST(SimOptionsTest, RejectsBadUris) {
  for (const char* uri : {"sg:///dev/sr0", "sim://relative.img", "sim://", "sim:///dir/", "sim:///d.img?profile=cd-r",
                          "sim:///d.img?speed=0", "sim:///d.img?speed=x", "sim:///d.img?timing=maybe",
                          "sim:///d.img?blocks=10", "sim:///d.img?bogus=1", "sim:///d.img?novalue",
                          "sim:///d.img?speed=2.45", "sim:///d.img?buffer=1",
                          "sim:///d.img?rate_divisor=0"}) {
    auto o = parse_sim_uri(uri);
    EXPECT_FALSE(o.ok()) << uri;
    if (!o.ok()) {
      EXPECT_EQ(o.error().code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(FaultScriptTest, ParsesEveryKind) {
  auto f = parse_fault_script(R"(
# comment
write-error lba=1000-1031 count=2
read-error lba=0x20
latency delay=200 opcode=0x2a
stall for=3000 at=10000
not-ready for=2000 at=1000 ascq=4
remove at=5000 for=100   # trailing comment
hang lba=7
opc-fail
)");
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  ASSERT_EQ(f->size(), 8u);
  EXPECT_EQ((*f)[0].kind, FaultKind::kWriteError);
  EXPECT_EQ((*f)[0].lba_first, 1000u);
  EXPECT_EQ((*f)[0].lba_last, 1031u);
  EXPECT_EQ((*f)[0].count, 2u);
  EXPECT_EQ((*f)[1].lba_first, 0x20u);
  EXPECT_EQ((*f)[1].count, 0u);  // errors repeat by default
  EXPECT_EQ((*f)[2].opcode, 0x2A);
  EXPECT_EQ((*f)[2].duration, std::chrono::milliseconds(200));
  EXPECT_EQ((*f)[2].count, 1u);
  EXPECT_EQ((*f)[3].at, std::chrono::milliseconds(10000));
  EXPECT_EQ((*f)[4].ascq, 4);
  EXPECT_EQ((*f)[5].kind, FaultKind::kMediumRemoval);
  EXPECT_EQ((*f)[6].kind, FaultKind::kHang);
  EXPECT_EQ((*f)[7].kind, FaultKind::kOpcFailure);
  EXPECT_TRUE((*f)[0].touches(1031, 1));
  EXPECT_TRUE((*f)[0].touches(990, 11));
  EXPECT_FALSE((*f)[0].touches(990, 10));
}

TEST(FaultScriptTest, ParsesUnitAttentionAndReset) {
  auto f = parse_fault_script("unit-attention at=100\nunit-attention opcode=0xaa asc=0x28 ascq=0\n"
                              "reset at=200\nreset lba=64 for=1500 executed=1\n");
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ((*f)[0].kind, FaultKind::kUnitAttention);
  EXPECT_EQ((*f)[0].asc, 0x29);  // power on, reset
  EXPECT_EQ((*f)[0].ascq, 0x00);
  EXPECT_EQ((*f)[0].count, 1u);
  EXPECT_EQ((*f)[1].asc, 0x28);
  EXPECT_EQ((*f)[1].opcode, 0xAA);
  EXPECT_EQ((*f)[2].kind, FaultKind::kReset);
  EXPECT_FALSE((*f)[2].executed);
  EXPECT_EQ((*f)[2].count, 1u);
  EXPECT_EQ((*f)[3].duration, std::chrono::milliseconds(1500));
  EXPECT_TRUE((*f)[3].executed);
  EXPECT_STREQ(fault_kind_name(FaultKind::kReset), "reset");
  EXPECT_FALSE(parse_fault_script("reset executed=2").ok());
  EXPECT_FALSE(parse_fault_script("unit-attention asc=0x100").ok());
}

TEST(FaultScriptTest, RejectsBadLinesWithLineNumber) {
  for (const char* text : {"explode lba=1", "write-error", "write-error lba=9-1", "latency at=5",
                           "stall lba=1", "hang opcode=0x100", "read-error lba=1 color=red", "hang lba"}) {
    auto f = parse_fault_script(std::string("\n") + text);
    ASSERT_FALSE(f.ok()) << text;
    EXPECT_NE(f.error().message().find("line 2"), std::string::npos) << f.error().message();
  }
  EXPECT_FALSE(load_fault_script("/nonexistent/faults.txt").ok());
}

}  // namespace
}  // namespace discrec::device::sim
