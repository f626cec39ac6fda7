// Hostile and damaged volumes: the reader must answer with a clear Error, never
// crash or read out of bounds (this suite also runs under ASan + UBSan).
#include "recorder/udf/volume_reader.h"

#include <gtest/gtest.h>

#include <random>

#include "recorder/udf/volume_builder.h"

namespace discrec::recorder::udf {
namespace {

// Images here use 16-sector ECC blocks: the fixed blocks start at 15 (VolumeLayout::first_block).
constexpr uint32_t kFirstBlock = 15;
constexpr uint32_t kRootFeBlock = kFirstBlock + partition_block::kRootEntry;
constexpr uint32_t kRecDirDataBlock = kFirstBlock + partition_block::kRecordingDirectory;

// A small sequential volume in memory: two files, one with a lost extent.
struct Image {
  VolumeLayout layout;
  std::vector<uint8_t> bytes;
  uint32_t first_entry = 0;  // partition block of the first file's entry

  std::span<uint8_t> sector(uint32_t lba) { return std::span<uint8_t>(bytes).subspan(size_t{lba} * 2048, 2048); }
  std::span<uint8_t> block(uint32_t b) { return sector(kPartitionStart + b); }
  Result<ParsedVolume> read() {
    MemorySectorSource source(bytes);
    return read_volume(source);
  }
};

Image make_image() {
  Image img;
  img.layout = *plan_layout({MediaKind::kSequentialWriteOnce, 100'000, 16, 4});
  const uint32_t d = img.layout.data_start;
  const TimePoint t = TimePoint(std::chrono::seconds(1'795'000'000));
  VolumeSpec spec{"HOSTILE", t, t, {}, 0};
  spec.files.push_back({"a.ts", 4 * 2048, t, t, {{d, 4}}});
  spec.files.push_back({"b.ts", 3 * 2048 - 5, t, t, {{d + 4, 1}, {d + 5, 1, false}, {d + 6, 1}}});
  auto writes = build_volume(img.layout, spec);
  EXPECT_TRUE(writes.ok());
  img.bytes.resize(size_t{writes->back().lba} * 2048 + writes->back().bytes.size());
  for (const SectorWrite& w : *writes) std::copy(w.bytes.begin(), w.bytes.end(), img.bytes.begin() + size_t{w.lba} * 2048);
  img.first_entry = kRecDirDataBlock + 1;
  return img;
}

// Re-seals a descriptor we tampered with, so the reader gets past its tag.
void reseal(std::span<uint8_t> d, uint32_t location) {
  const size_t length = 16 + get16(d, 10);
  finish_tag(d.first(length), static_cast<TagId>(get16(d, 0)), location);
}

void expect_malformed(Image& img, const std::string& what) {
  auto v = img.read();
  ASSERT_FALSE(v.ok()) << what;
  EXPECT_EQ(v.error().code(), ErrorCode::kMalformedResponse) << v.error().to_string();
  EXPECT_NE(v.error().message().find(what), std::string::npos) << v.error().to_string();
}

TEST(UdfVolumeReader, ReadsTheBuiltImage) {
  Image img = make_image();
  auto v = img.read();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->label, "HOSTILE");
  ASSERT_EQ(v->files.size(), 3u);
  EXPECT_EQ(v->files[2].path, "/DISCREC/b.ts");
}

TEST(UdfVolumeReader, FindsTheClosingAnchorWhenSector256IsGone) {
  Image img = make_image();
  std::fill(img.sector(kAnchorLba).begin(), img.sector(kAnchorLba).end(), 0);
  auto v = img.read();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->anchor_lba, img.bytes.size() / 2048 - 1);
}

TEST(UdfVolumeReader, NoAnchorAnywhere) {
  Image img = make_image();
  std::fill(img.sector(kAnchorLba).begin(), img.sector(kAnchorLba).end(), 0);
  img.bytes.resize(img.bytes.size() - 2048);
  expect_malformed(img, "no anchor");
}

TEST(UdfVolumeReader, FallsBackToTheReserveSequence) {
  Image img = make_image();
  img.sector(kMainVdsLba + 3)[300] ^= 0xFF;  // logical volume descriptor, CRC now wrong
  auto v = img.read();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->files.size(), 3u);
  // The reserve copy damaged too: an error naming both.
  const uint32_t reserve = get32(img.sector(kAnchorLba), 28);
  img.sector(reserve + 3)[300] ^= 0xFF;
  expect_malformed(img, "CRC");
}

TEST(UdfVolumeReader, PartitionLargerThanTheMedium) {
  Image img = make_image();
  const uint32_t reserve = get32(img.sector(kAnchorLba), 28);
  for (uint32_t vds : {kMainVdsLba, reserve}) {
    put32(img.sector(vds + 2), 192, 0xFFFFFF00);
    reseal(img.sector(vds + 2), vds + 2);
  }
  expect_malformed(img, "does not fit");
}

TEST(UdfVolumeReader, UnsupportedPartitionMapIsNamed) {
  Image img = make_image();
  const uint32_t reserve = get32(img.sector(kAnchorLba), 28);
  for (uint32_t vds : {kMainVdsLba, reserve}) {
    img.sector(vds + 3)[440] = 2;  // a type-2 (VAT/sparable/metadata) map
    reseal(img.sector(vds + 3), vds + 3);
  }
  auto v = img.read();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("partition map type 2"), std::string::npos) << v.error().to_string();
}

TEST(UdfVolumeReader, DirectoryCycleIsRefused) {
  Image img = make_image();
  // /DISCREC/a.ts now points back at the root directory's entry.
  std::span<uint8_t> fid = img.block(kRecDirDataBlock).subspan(40);
  put32(fid, 24, kRootFeBlock);
  fid[18] = 0x02;
  reseal(fid, kRecDirDataBlock);
  expect_malformed(img, "linked twice");
}

TEST(UdfVolumeReader, ExtentOutsideThePartition) {
  Image img = make_image();
  std::span<uint8_t> entry = img.block(img.first_entry);
  put32(entry, 216 + 4, 0x7FFFFFF0);
  reseal(entry, img.first_entry);
  expect_malformed(img, "runs past the partition");
}

TEST(UdfVolumeReader, AllocationExtentChainThatLoops) {
  Image img = make_image();
  // The first file's entry now continues in an allocation extent block that
  // continues in itself.
  const uint32_t aed = img.layout.metadata_blocks() - 1;
  std::span<uint8_t> a = img.block(aed).first(24 + 8);
  put32(a, 16, img.first_entry);
  put32(a, 20, 8);
  put32(a, 24, (3u << 30) | 2048);
  put32(a, 28, aed);
  finish_tag(a, TagId::kAllocationExtent, aed);
  std::span<uint8_t> entry = img.block(img.first_entry);
  put32(entry, 216, (3u << 30) | 2048);
  put32(entry, 220, aed);
  reseal(entry, img.first_entry);
  expect_malformed(img, "chain loops");
}

TEST(UdfVolumeReader, EntryLengthsThatOverflowTheBlock) {
  Image img = make_image();
  std::span<uint8_t> entry = img.block(img.first_entry);
  put32(entry, 212, 0xFFFFFFF0);
  reseal(entry, img.first_entry);
  expect_malformed(img, "overflows its block");
}

TEST(UdfVolumeReader, FileIdentifierOverrunningItsDirectory) {
  Image img = make_image();
  std::span<uint8_t> fid = img.block(kRecDirDataBlock).subspan(40);
  put16(fid, 36, 4000);  // implementation use longer than the directory
  reseal(fid, kRecDirDataBlock);
  expect_malformed(img, "overruns");
}

TEST(UdfVolumeReader, WrongDescriptorWhereAnEntryShouldBe) {
  Image img = make_image();
  std::span<uint8_t> fid = img.block(kRecDirDataBlock).subspan(40);
  put32(fid, 24, 0);  // the file set descriptor, not a file entry
  reseal(fid, kRecDirDataBlock);
  expect_malformed(img, "not a file entry");
}

TEST(UdfVolumeReader, TruncatedImagesFailCleanly) {
  const Image full = make_image();
  for (size_t keep : {size_t{0}, size_t{1000}, size_t{257 * 2048}, size_t{270 * 2048}, full.bytes.size() / 2}) {
    Image img = full;
    img.bytes.resize(keep);
    EXPECT_FALSE(img.read().ok()) << keep;
  }
}

TEST(UdfVolumeReader, ReadFileBytesChecksItsRange) {
  Image img = make_image();
  auto v = img.read();
  ASSERT_TRUE(v.ok());
  MemorySectorSource source(img.bytes);
  std::vector<uint8_t> buf(10);
  EXPECT_EQ(read_file_bytes(source, v->files[2], v->files[2].size - 5, buf).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(read_file_bytes(source, v->files[2], v->files[2].size - 10, buf).ok());
}

// Random damage to sealed descriptors (re-sealed, so parsing goes deep): every
// outcome is a value or an Error.
TEST(UdfVolumeReader, RandomDamageNeverCrashes) {
  const Image pristine = make_image();
  std::vector<uint32_t> tagged;
  for (uint32_t lba = 0; lba < pristine.bytes.size() / 2048; ++lba) {
    std::span<const uint8_t> s(pristine.bytes.data() + size_t{lba} * 2048, 2048);
    const uint16_t id = get16(s, 0);
    if (check_tag(s, static_cast<TagId>(id), get32(s, 12)).ok()) tagged.push_back(lba);
  }
  ASSERT_GT(tagged.size(), 10u);
  std::mt19937 rng(12345);
  int errors = 0;
  Image img = pristine;
  for (int round = 0; round < 3000; ++round) {
    // Undo the previous round's edits (copying the whole image each time is slow
    // under ASan).
    for (uint32_t lba : tagged) {
      std::copy_n(pristine.bytes.begin() + size_t{lba} * 2048, 2048, img.sector(lba).begin());
    }
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const uint32_t lba = tagged[rng() % tagged.size()];
      std::span<uint8_t> s = img.sector(lba);
      const size_t length = 16 + get16(s, 10);
      s[16 + rng() % (length - 16)] = static_cast<uint8_t>(rng());
      if (rng() % 8 != 0) reseal(s, get32(s, 12));
    }
    errors += img.read().ok() ? 0 : 1;
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace discrec::recorder::udf
