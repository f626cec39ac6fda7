// SMC-3 CDB builders, parsers and sense names against tgt's changer
// responses and hand-built reports (four element types in one report,
// alternate volume tags, Except/Access/ImpExp), and malformed data.
#include <gtest/gtest.h>

#include "device/mmc/bytes.h"
#include "device/mmc/parse.h"
#include "device/mmc/sense.h"
#include "device/smc/cdb.h"
#include "device/smc/parse.h"
#include "device/smc/sense.h"
#include "tests/device/tgt_changer_captures.h"

namespace discrec::device::smc {
namespace {

using testdata::from_hex;
using Bytes = std::vector<uint8_t>;

template <typename T>
void expect_malformed(const Result<T>& r, const std::string& words = "") {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformedResponse) << r.error().to_string();
  if (!words.empty()) {
    EXPECT_NE(r.error().message().find(words), std::string::npos) << r.error().to_string();
  }
}

Bytes cdb_bytes(const Cdb& c) { return Bytes(c.span().begin(), c.span().end()); }

// --- CDBs ---

TEST(SmcCdb, ReadElementStatus) {
  EXPECT_EQ(cdb_bytes(read_element_status(ElementType::kStorage, 1024, 3, true, 200)),
            from_hex("b81204000003000000c80000"));
  EXPECT_EQ(cdb_bytes(read_element_status(ElementType::kAll, 0, 0xFFFF, false, 0x1234567)),
            from_hex("b8000000ffff00ffffff0000"));  // allocation clamped to 24 bits
}

TEST(SmcCdb, MoveInitializeModeSensePrevent) {
  EXPECT_EQ(cdb_bytes(move_medium(16, 1025, 1)), from_hex("a50000100401000100000000"));
  EXPECT_EQ(cdb_bytes(move_medium(16, 1025, 1, true))[10], 0x01);
  EXPECT_EQ(cdb_bytes(initialize_element_status()), from_hex("070000000000"));
  EXPECT_EQ(cdb_bytes(mode_sense6(kElementAddressAssignmentPage, 255)), from_hex("1a081d00ff00"));
  EXPECT_EQ(cdb_bytes(mmc::prevent_allow_medium_removal(true)), from_hex("1e0000000100"));
  EXPECT_STREQ(command_name(opcode::kMoveMedium), "MOVE MEDIUM");
  EXPECT_STREQ(command_name(opcode::kReadElementStatus), "READ ELEMENT STATUS");
  EXPECT_STREQ(command_name(0x12), "INQUIRY");
}

// --- tgt's responses ---

TEST(SmcParse, InquiryIsMediumChanger) {
  auto inquiry = mmc::parse_inquiry(from_hex(testdata::kChangerInquiry));
  ASSERT_TRUE(inquiry.ok()) << inquiry.error().to_string();
  EXPECT_EQ(inquiry->peripheral_device_type, kPeripheralMediumChanger);
  EXPECT_EQ(inquiry->vendor, "STK");
  EXPECT_EQ(inquiry->product, "L700");
  EXPECT_TRUE(require_medium_changer(*inquiry).ok());
  InquiryData drive = *inquiry;
  drive.peripheral_device_type = 5;
  auto refused = require_medium_changer(drive);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message().find("not a medium changer"), std::string::npos);
}

TEST(SmcParse, ElementAddressAssignmentFromTgt) {
  auto a = parse_element_address_assignment(from_hex(testdata::kElementAddressAssignment));
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->medium_transport.first, 16);
  EXPECT_EQ(a->medium_transport.count, 1);
  EXPECT_EQ(a->storage.first, 1024);
  EXPECT_EQ(a->storage.count, 3);
  EXPECT_EQ(a->import_export.first, 32);
  EXPECT_EQ(a->import_export.count, 1);
  EXPECT_EQ(a->data_transfer.first, 1);
  EXPECT_EQ(a->data_transfer.count, 1);
  EXPECT_TRUE(a->range(ElementType::kStorage).contains(1026));
  EXPECT_FALSE(a->range(ElementType::kStorage).contains(1027));
  EXPECT_EQ(a->range(ElementType::kAll).count, 0);
}

TEST(SmcParse, ElementAddressAssignmentMalformed) {
  Bytes d = from_hex(testdata::kElementAddressAssignment);
  expect_malformed(parse_element_address_assignment(std::span(d).first(3)), "too short");
  expect_malformed(parse_element_address_assignment(std::span(d).first(20)), "truncated");
  Bytes wrong = d;
  wrong[4] = 0x1F;
  expect_malformed(parse_element_address_assignment(wrong), "expected page 0x1D, got 0x1F");
  Bytes short_page = d;
  short_page[5] = 10;
  expect_malformed(parse_element_address_assignment(short_page), "length 10 < 16");
  Bytes block_descriptors = d;
  block_descriptors[3] = 8;  // 8 bytes of block descriptors that are not there
  expect_malformed(parse_element_address_assignment(block_descriptors));
}

TEST(SmcParse, StorageFromTgt) {
  Bytes d = from_hex(testdata::kStorageStatus);
  ASSERT_EQ(d.size(), 164u);
  EXPECT_EQ(*element_status_total_length(d), 172u);  // tgt: 8 more than it sends
  auto r = parse_element_status(d);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->elements.size(), 3u);
  const ChangerElement& first = r->elements[0];
  EXPECT_EQ(first.type, ElementType::kStorage);
  EXPECT_EQ(first.address, 1024);
  EXPECT_TRUE(first.full);
  EXPECT_FALSE(first.except);
  EXPECT_FALSE(first.access);  // tgt never sets Access
  EXPECT_FALSE(first.source_address);
  EXPECT_EQ(first.volume_tag, "DISC0001");
  EXPECT_EQ(r->elements[1].address, 1025);
  EXPECT_FALSE(r->elements[1].full);
  EXPECT_EQ(r->elements[1].volume_tag, "");
  EXPECT_EQ(r->elements[2].address, 1026);
  EXPECT_FALSE(r->elements[2].full);
}

TEST(SmcParse, DriveAndTransportFromTgt) {
  auto drive = parse_element_status(from_hex(testdata::kDriveStatus));
  ASSERT_TRUE(drive.ok()) << drive.error().to_string();
  ASSERT_EQ(drive->elements.size(), 1u);
  EXPECT_EQ(drive->elements[0].type, ElementType::kDataTransfer);
  EXPECT_EQ(drive->elements[0].address, 1);
  EXPECT_TRUE(drive->elements[0].full);
  EXPECT_EQ(drive->elements[0].source_address, std::optional<uint16_t>(1025));
  EXPECT_EQ(drive->elements[0].volume_tag, "DISC0002");

  auto transport = parse_element_status(from_hex(testdata::kTransportStatus));
  ASSERT_TRUE(transport.ok()) << transport.error().to_string();
  ASSERT_EQ(transport->elements.size(), 1u);
  EXPECT_EQ(transport->elements[0].type, ElementType::kMediumTransport);
  EXPECT_EQ(transport->elements[0].address, 16);
  EXPECT_FALSE(transport->elements[0].full);
}

TEST(SmcSense, ChangerNamesFirstThenMmc) {
  auto sense = mmc::parse_sense(from_hex(testdata::kMoveSourceEmptySense));
  ASSERT_TRUE(sense.ok()) << sense.error().to_string();
  EXPECT_EQ(sense->code, (SenseCode{5, 0x3B, 0x0E}));
  EXPECT_EQ(describe_sense(sense->code), "ILLEGAL REQUEST 5/3B/0E medium source element empty");
  EXPECT_EQ(describe_sense({5, 0x3B, 0x0D}), "ILLEGAL REQUEST 5/3B/0D medium destination element full");
  EXPECT_EQ(describe_sense({5, 0x53, 0x02}), "ILLEGAL REQUEST 5/53/02 medium removal prevented");
  EXPECT_EQ(describe_sense({2, 0x04, 0x01}),
            "NOT READY 2/04/01 logical unit is in process of becoming ready");
  EXPECT_EQ(describe_sense({6, 0x28, 0x01}), "UNIT ATTENTION 6/28/01 import or export element accessed");
  EXPECT_EQ(describe_sense({5, 0x21, 0x01}), "ILLEGAL REQUEST 5/21/01 invalid element address");
  EXPECT_EQ(describe_sense({5, 0x99, 0x01}), "ILLEGAL REQUEST 5/99/01 (unlisted ASC/ASCQ)");
}

// --- hand-built reports ---

// One element status page: header + descriptors of `length` bytes each.
Bytes page(uint8_t type, uint8_t tag_flags, uint16_t length, const std::vector<Bytes>& descriptors) {
  Bytes p(8, 0);
  p[0] = type;
  p[1] = tag_flags;
  mmc::put_be16(&p[2], length);
  size_t bytes = 0;
  for (const auto& d : descriptors) bytes += d.size();
  mmc::put_be24(&p[5], static_cast<uint32_t>(bytes));
  for (const auto& d : descriptors) p.insert(p.end(), d.begin(), d.end());
  return p;
}

Bytes descriptor(uint16_t address, uint8_t flags, size_t length, std::string tag = "",
                 std::optional<uint16_t> source = std::nullopt, uint8_t asc = 0, uint8_t ascq = 0) {
  Bytes d(length, 0);
  mmc::put_be16(&d[0], address);
  d[2] = flags;
  d[4] = asc;
  d[5] = ascq;
  if (source) {
    d[9] = 0x80;
    mmc::put_be16(&d[10], *source);
  }
  if (length >= 48) {
    std::fill(d.begin() + 12, d.begin() + 44, ' ');
    std::copy(tag.begin(), tag.end(), d.begin() + 12);
  }
  return d;
}

Bytes report(uint16_t count, const std::vector<Bytes>& pages) {
  Bytes r(8, 0);
  mmc::put_be16(&r[2], count);
  size_t bytes = 0;
  for (const auto& p : pages) bytes += p.size();
  mmc::put_be24(&r[5], static_cast<uint32_t>(bytes));
  for (const auto& p : pages) r.insert(r.end(), p.begin(), p.end());
  return r;
}

// A library's report of everything at once: PVolTag and AVolTag (84-byte
// descriptors), Access/Except/ImpExp, a drive reporting 3B/1A.
Bytes library_report() {
  return report(6, {page(1, 0xC0, 84, {descriptor(0, 0, 84)}),
                    page(2, 0xC0, 84, {descriptor(0x1000, 0x09, 84, "A00001L5"), descriptor(0x1001, 0x08, 84)}),
                    page(3, 0xC0, 84, {descriptor(0x10, 0x0B, 84, "IMPORT01")}),
                    page(4, 0xC0, 84, {descriptor(0x100, 0x0D, 84, "A00002L5", 0x1001),
                                       descriptor(0x101, 0x04, 84, "", std::nullopt, 0x3B, 0x1A)})});
}

TEST(SmcParse, AllFourTypesInOneReport) {
  auto r = parse_element_status(library_report());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->elements.size(), 6u);
  EXPECT_EQ(r->elements[0].type, ElementType::kMediumTransport);
  EXPECT_FALSE(r->elements[0].access);
  EXPECT_EQ(r->elements[1].type, ElementType::kStorage);
  EXPECT_TRUE(r->elements[1].full);
  EXPECT_TRUE(r->elements[1].access);
  EXPECT_EQ(r->elements[1].volume_tag, "A00001L5");
  EXPECT_FALSE(r->elements[2].full);
  const ChangerElement& mail = r->elements[3];
  EXPECT_EQ(mail.type, ElementType::kImportExport);
  EXPECT_TRUE(mail.full);
  EXPECT_TRUE(mail.imported);
  EXPECT_EQ(mail.volume_tag, "IMPORT01");
  const ChangerElement& drive = r->elements[4];
  EXPECT_EQ(drive.type, ElementType::kDataTransfer);
  EXPECT_EQ(drive.address, 0x100);
  EXPECT_TRUE(drive.full);
  EXPECT_TRUE(drive.except);
  EXPECT_EQ(drive.source_address, std::optional<uint16_t>(0x1001));
  const ChangerElement& broken = r->elements[5];
  EXPECT_TRUE(broken.except);
  EXPECT_EQ(broken.asc, 0x3B);
  EXPECT_EQ(broken.ascq, 0x1A);
}

TEST(SmcParse, WithoutVolumeTags) {
  auto r = parse_element_status(report(2, {page(2, 0, 12, {descriptor(5, 1, 12), descriptor(6, 0, 12)})}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->elements.size(), 2u);
  EXPECT_TRUE(r->elements[0].full);
  EXPECT_EQ(r->elements[0].volume_tag, "");
  // A type with no elements: a page header with no descriptors.
  auto empty = parse_element_status(report(0, {page(3, 0x80, 52, {})}));
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_TRUE(empty->elements.empty());
}

TEST(SmcParse, Malformed) {
  expect_malformed(parse_element_status(Bytes(7, 0)), "too short");
  // Truncated: by our allocation, or inside a descriptor before the tag ends.
  Bytes whole = library_report();
  expect_malformed(parse_element_status(std::span(whole).first(whole.size() - 84)), "truncated");
  Bytes tgt = from_hex(testdata::kStorageStatus);
  expect_malformed(parse_element_status(std::span(tgt).first(tgt.size() - 20)), "truncated");
  expect_malformed(parse_element_status(std::span(tgt).first(12)), "truncated");
  // A descriptor cut short that is not the report's last (even with its tag
  // whole), and a page header cut short.
  Bytes two_pages = report(2, {page(2, 0x80, 52, {descriptor(1, 1, 52, "X")}),
                               page(4, 0x80, 52, {descriptor(2, 0, 52)})});
  ASSERT_TRUE(parse_element_status(two_pages).ok());
  expect_malformed(parse_element_status(std::span(two_pages).first(8 + 8 + 50)), "truncated");
  expect_malformed(parse_element_status(std::span(two_pages).first(8 + 60 + 4)), "truncated");
  // The last descriptor may lose its tail (tgt), not the tag's identifier.
  EXPECT_TRUE(parse_element_status(std::span(two_pages).first(two_pages.size() - 8)).ok());
  expect_malformed(parse_element_status(std::span(two_pages).first(two_pages.size() - 10)), "truncated");
  // Counts that disagree.
  Bytes count = library_report();
  count[3] = 7;
  expect_malformed(parse_element_status(count), "header counts 7 elements, the pages hold 6");
  // Zero-length descriptors, lengths that overrun, lengths too short for the tag.
  Bytes zero = report(1, {page(2, 0x80, 0, {descriptor(1, 1, 52)})});
  expect_malformed(parse_element_status(zero), "descriptor length 0");
  Bytes short_tag = report(1, {page(2, 0x80, 12, {descriptor(1, 1, 12)})});
  expect_malformed(parse_element_status(short_tag), "descriptor length 12 < 48");
  Bytes both_tags = report(1, {page(2, 0xC0, 52, {descriptor(1, 1, 52)})});
  expect_malformed(parse_element_status(both_tags), "< 84");
  Bytes not_whole = report(1, {page(2, 0x80, 52, {descriptor(1, 1, 52)})});
  not_whole[11] = 40;  // descriptor length 40 ... but PVolTag needs 48
  expect_malformed(parse_element_status(not_whole), "< 48");
  not_whole[11] = 50;  // 52 descriptor bytes in 50-byte descriptors
  expect_malformed(parse_element_status(not_whole), "not a whole number");
  Bytes overrun = report(1, {page(2, 0x80, 52, {descriptor(1, 1, 52)})});
  overrun[15] = 104;  // page claims two descriptors, the report holds one
  expect_malformed(parse_element_status(overrun), "overruns the report");
  Bytes type = report(1, {page(7, 0x80, 52, {descriptor(1, 1, 52)})});
  expect_malformed(parse_element_status(type), "element type code 7");
  Bytes trailing = report(1, {page(2, 0x80, 52, {descriptor(1, 1, 52)})});
  trailing.insert(trailing.end(), 5, 0);
  trailing[7] += 5;
  expect_malformed(parse_element_status(trailing), "too few for a page header");
}

}  // namespace
}  // namespace discrec::device::smc
