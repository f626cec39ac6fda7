// The drive quirks file: what parses, what is refused (with its line), and
// which entries match which INQUIRY strings. The shipped table parses.
#include "device/drive_quirks.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace discrec::device {
namespace {

QuirkTable parse_ok(std::string_view text) {
  auto table = QuirkTable::parse(text, "q.txt");
  EXPECT_TRUE(table.ok()) << table.error().to_string();
  return table.ok() ? *table : QuirkTable{};
}

std::string parse_error(std::string_view text) {
  auto table = QuirkTable::parse(text, "q.txt");
  if (table.ok()) return "(parsed)";
  EXPECT_EQ(table.error().code(), ErrorCode::kInvalidArgument);
  return table.error().message();
}

TEST(DriveQuirksParse, EntriesCommentsAndBlankLines) {
  QuirkTable t = parse_ok(
      "# vendor | product | revision | quirks | reason\n"
      "\n"
      "   # indented comment\n"
      "HL-DT-ST | BD-RE  GGW-H20* | * | streaming-min-write=64 | libburn: junk with 32 KiB streaming\r\n"
      "ACME|BURNER 9000|1.0*|no-opc, no-streaming nwa-not-reported|we saw it hang\n");
  ASSERT_EQ(t.entries().size(), 2u);
  const QuirkEntry& lg = t.entries()[0];
  EXPECT_EQ(lg.vendor, "HL-DT-ST");
  EXPECT_EQ(lg.product, "BD-RE  GGW-H20*");  // the inner blanks kept
  EXPECT_EQ(lg.revision, "*");
  ASSERT_EQ(lg.quirks.size(), 1u);
  EXPECT_EQ(lg.quirks[0].kind, QuirkKind::kStreamingMinWrite);
  EXPECT_EQ(lg.quirks[0].value, 64u);
  EXPECT_EQ(lg.quirks[0].to_string(), "streaming-min-write=64");
  EXPECT_EQ(lg.quirks[0].reason, "libburn: junk with 32 KiB streaming");
  EXPECT_EQ(lg.quirks[0].source, "q.txt:4");
  const QuirkEntry& acme = t.entries()[1];
  ASSERT_EQ(acme.quirks.size(), 3u);
  EXPECT_EQ(acme.quirks[0].kind, QuirkKind::kNoOpc);
  EXPECT_EQ(acme.quirks[1].kind, QuirkKind::kNoStreaming);
  EXPECT_EQ(acme.quirks[2].kind, QuirkKind::kNwaNotReported);
  EXPECT_FALSE(acme.quirks[0].value);
  EXPECT_EQ(acme.quirks[2].source, "q.txt:5");
  EXPECT_EQ(parse_ok("").entries().size(), 0u);
  EXPECT_EQ(parse_ok("# only a comment").entries().size(), 0u);
}

TEST(DriveQuirksParse, BadLinesNameFileAndLine) {
  const std::string ok = "A | B | * | no-opc | why\n";
  EXPECT_EQ(parse_error(ok + "A | B | * | no-opcc | why\n"),
            "q.txt:2: unknown quirk 'no-opcc' (known: streaming-min-write, no-streaming, no-opc, nwa-not-reported)");
  EXPECT_EQ(parse_error("A | B | * | no-opc\n"),
            "q.txt:1: expected 5 fields separated by '|' (vendor | product | revision | quirks | reason), found 4");
  EXPECT_EQ(parse_error("A | B | * | no-opc | why | more\n").substr(0, 8), "q.txt:1:");
  EXPECT_EQ(parse_error("A | B | * | no-opc |   \n"), "q.txt:1: no reason: say where the misbehaviour is known from");
  EXPECT_EQ(parse_error(" | B | * | no-opc | why\n"), "q.txt:1: empty vendor (write '*' for any)");
  EXPECT_EQ(parse_error("A | B*C | * | no-opc | why\n"), "q.txt:1: product 'B*C': '*' may only end a pattern");
  EXPECT_EQ(parse_error("VENDORNAME | B | * | no-opc | why\n"),
            "q.txt:1: vendor 'VENDORNAME' is longer than INQUIRY's 8 characters, so it never matches");
  EXPECT_EQ(parse_error("A | B | 12345* | no-opc | why\n").substr(0, 30), "q.txt:1: revision '12345*' is ");
  EXPECT_EQ(parse_error("A | B | * |  | why\n").substr(0, 18), "q.txt:1: no quirks");
  EXPECT_EQ(parse_error("A | B | * | streaming-min-write | why\n"),
            "q.txt:1: streaming-min-write needs a value (streaming-min-write=N)");
  EXPECT_EQ(parse_error("A | B | * | streaming-min-write=32k | why\n"),
            "q.txt:1: streaming-min-write=32k: the value must be a number");
  EXPECT_EQ(parse_error("A | B | * | streaming-min-write=1 | why\n"),
            "q.txt:1: streaming-min-write=1: the value must be between 2 and 65536");
  EXPECT_EQ(parse_error("A | B | * | streaming-min-write=99999999999 | why\n").substr(0, 8), "q.txt:1:");
  EXPECT_EQ(parse_error("A | B | * | no-opc=1 | why\n"), "q.txt:1: no-opc takes no value");
  EXPECT_EQ(parse_error("A | B | * | no-opc no-opc | why\n"), "q.txt:1: no-opc is named twice");
  EXPECT_EQ(parse_error("\n\nA | B | * | no-opc | caf\xC3\xA9\n"),
            "q.txt:3: byte 0xC3: the quirks file must be printable ASCII");
  EXPECT_EQ(parse_error(std::string("A | B | * | no-opc | why\0\n", 26)).substr(0, 20), "q.txt:1: byte 0x00: ");
}

TEST(DriveQuirksLookup, PatternsTrimPaddingAndIgnoreCase) {
  QuirkTable t = parse_ok(
      "HL-DT-ST | BD-RE  GGW-H20* | * | streaming-min-write=64 | libburn\n"
      "STGT_DVD | DVD101 | 0010 | nwa-not-reported | tgt\n");
  // INQUIRY's fields as the drive pads them.
  auto lg = t.lookup("HL-DT-ST", "BD-RE  GGW-H20L ", "YL05");
  ASSERT_EQ(lg.size(), 1u);
  EXPECT_EQ(lg[0].kind, QuirkKind::kStreamingMinWrite);
  EXPECT_EQ(t.lookup("hl-dt-st", "bd-re  ggw-h20n", "").size(), 1u);
  EXPECT_TRUE(t.lookup("HL-DT-ST", "BD-RE GGW-H20L", "YL05").empty());  // one blank: another product
  EXPECT_TRUE(t.lookup("HL-DT-ST", "BD-RE  GGW-H2", "YL05").empty());   // shorter than the prefix
  EXPECT_EQ(t.lookup("STGT_DVD", "DVD101          ", "0010").size(), 1u);
  EXPECT_TRUE(t.lookup("STGT_DVD", "DVD1010", "0010").empty());  // exact, not a prefix
  EXPECT_TRUE(t.lookup("STGT_DVD", "DVD101", "0011").empty());
  EXPECT_TRUE(t.lookup("", "", "").empty());
}

TEST(DriveQuirksLookup, LaterMatchingEntriesAddAndReplace) {
  QuirkTable t = parse_ok(
      "ACME | * | * | no-opc streaming-min-write=32 | all ACME\n"
      "OTHER | * | * | no-streaming | not ACME\n"
      "ACME | BURNER* | 2.* | streaming-min-write=64 nwa-not-reported | BURNER firmware 2\n");
  auto old_firmware = t.lookup("ACME", "BURNER 9000", "1.00");
  ASSERT_EQ(old_firmware.size(), 2u);
  EXPECT_EQ(old_firmware[1].to_string(), "streaming-min-write=32");
  auto new_firmware = t.lookup("ACME", "BURNER 9000", "2.01");
  ASSERT_EQ(new_firmware.size(), 3u);
  EXPECT_EQ(new_firmware[0].kind, QuirkKind::kNoOpc);  // kept from the first entry
  EXPECT_EQ(new_firmware[0].source, "q.txt:1");
  EXPECT_EQ(new_firmware[1].to_string(), "streaming-min-write=64");  // replaced in place
  EXPECT_EQ(new_firmware[1].reason, "BURNER firmware 2");
  EXPECT_EQ(new_firmware[1].source, "q.txt:3");
  EXPECT_EQ(new_firmware[2].kind, QuirkKind::kNwaNotReported);

  DriveQuirks applied{new_firmware};
  EXPECT_TRUE(applied.has(QuirkKind::kNoOpc));
  EXPECT_FALSE(applied.has(QuirkKind::kNoStreaming));
  EXPECT_EQ(applied.streaming_min_write_bytes(), 64u * 1024);
  EXPECT_EQ(DriveQuirks{}.streaming_min_write_bytes(), 0u);
}

// The table that ships with the daemon parses, and names the drives it is
// written for.
TEST(DriveQuirksShipped, ParsesAndCoversTheKnownDrives) {
  const char* source = std::getenv("DISCREC_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  const std::string path = std::string(source) + "/daemon/drive-quirks.txt";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  auto table = QuirkTable::parse(text.str(), path);
  ASSERT_TRUE(table.ok()) << table.error().to_string();
  auto lg = table->lookup("HL-DT-ST", "BD-RE  GGW-H20L", "YL05");
  ASSERT_EQ(lg.size(), 1u);
  EXPECT_EQ(lg[0].to_string(), "streaming-min-write=64");
  for (auto [vendor, product] : {std::pair{"STGT_DVD", "DVD101"}, std::pair{"IET", "VIRTUAL-CDROM"}}) {
    auto tgt = table->lookup(vendor, product, "0010");
    ASSERT_EQ(tgt.size(), 1u) << vendor;
    EXPECT_EQ(tgt[0].kind, QuirkKind::kNwaNotReported);
  }
  EXPECT_TRUE(table->lookup("DISCREC", "SIM BD WRITER", "1.0").empty());
}

}  // namespace
}  // namespace discrec::device
