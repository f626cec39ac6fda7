// The builder checked through discrec's own reader (the external readers are in
// external_readers_test.cc).
#include "recorder/udf/volume_builder.h"

#include <gtest/gtest.h>

#include "recorder/udf/volume_reader.h"
#include "tests/recorder/udf/image_fixture.h"

namespace discrec::recorder::udf {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

const TimePoint kStart = TimePoint(std::chrono::microseconds(1'795'000'000'123'456));

VolumeLayout dvd_plus_r(uint32_t max_files = 100) {
  return *plan_layout({MediaKind::kSequentialWriteOnce, 2'295'104, 16, max_files});
}

FileSpec file(std::string name, uint64_t size, std::vector<FileExtent> extents) {
  return FileSpec{std::move(name), size, kStart, kStart + 90s, std::move(extents)};
}

VolumeSpec volume(std::vector<FileSpec> files) {
  return VolumeSpec{"LABEL", kStart, kStart + 1h, std::move(files), 0};
}

// Builds, writes a sparse image and reads it back.
struct RoundTrip {
  TempDir dir;
  std::vector<SectorWrite> writes;
  std::optional<ImageFileSectorSource> source;
  Result<ParsedVolume> parsed = Error(ErrorCode::kInternal, "not read");
};

void round_trip(RoundTrip& rt, const VolumeLayout& layout, const VolumeSpec& spec) {
  auto writes = build_volume(layout, spec);
  ASSERT_TRUE(writes.ok()) << writes.error().to_string();
  rt.writes = *writes;
  const auto image = rt.dir.path() / "disc.img";
  testing::write_image(image, rt.writes.back().lba + rt.writes.back().bytes.size() / kSectorSize, rt.writes);
  for (const FileSpec& f : spec.files) testing::fill_file(image, f);
  auto source = ImageFileSectorSource::open(image);
  ASSERT_TRUE(source.ok());
  rt.source.emplace(std::move(*source));
  rt.parsed = read_volume(*rt.source);
  ASSERT_TRUE(rt.parsed.ok()) << rt.parsed.error().to_string();
}

TEST(UdfVolumeBuilder, FilesRoundTripWithNamesTimesIdsAndLostExtents) {
  const VolumeLayout layout = dvd_plus_r();
  const uint32_t d = layout.data_start;
  const VolumeSpec spec = volume({
      file("2026-11-25T23-45-00Z_news.ts", 10 * 2048, {{d, 10}}),
      file("\xe6\x97\xa5\xe6\x9c\xac.ts", 5 * 2048 + 1, {{d + 16, 2}, {d + 18, 3, false}, {d + 21, 1}}),
      file("empty.ts", 0, {}),
  });
  RoundTrip rt;
  round_trip(rt, layout, spec);
  const ParsedVolume& v = *rt.parsed;
  EXPECT_EQ(v.label, "LABEL");
  EXPECT_EQ(v.anchor_lba, kAnchorLba);
  EXPECT_EQ(v.partition_start, kPartitionStart);
  EXPECT_TRUE(v.integrity_closed);
  EXPECT_EQ(v.next_unique_id, 20u);
  ASSERT_EQ(v.files.size(), 4u);
  EXPECT_EQ(v.files[0].path, "/DISCREC");
  EXPECT_TRUE(v.files[0].directory);
  for (size_t i = 0; i < 3; ++i) {
    const ParsedFile& f = v.files[i + 1];
    EXPECT_EQ(f.path, "/DISCREC/" + spec.files[i].name);
    EXPECT_FALSE(f.directory);
    EXPECT_EQ(f.size, spec.files[i].size);
    EXPECT_EQ(f.created, kStart);
    EXPECT_EQ(f.modified, kStart + 90s);
    EXPECT_EQ(f.unique_id, 17 + i);
  }
  const ParsedFile& lossy = v.files[2];
  ASSERT_EQ(lossy.extents.size(), 3u);
  EXPECT_EQ(lossy.extents[0].lba, d + 16);
  EXPECT_EQ(lossy.extents[1].type, ExtentType::kAllocatedNotRecorded);
  EXPECT_EQ(lossy.extents[1].bytes, 3 * 2048u);
  EXPECT_EQ(lossy.extents[2].bytes, 1u) << "the last extent ends with the file";
  std::vector<uint8_t> bytes(lossy.size);
  ASSERT_TRUE(read_file_bytes(*rt.source, lossy, 0, bytes).ok());
  EXPECT_TRUE(bytes == testing::expected_bytes(spec.files[1], 0, lossy.size));
  EXPECT_EQ(bytes[2 * 2048], 0) << "lost extent reads as zeros";
  EXPECT_TRUE(v.files[3].extents.empty());
}

TEST(UdfVolumeBuilder, ExtentsSplitBelowOneGiBAndSizesPast4GiBSurvive) {
  const VolumeLayout layout = *plan_layout({MediaKind::kRandomAccess, 12'219'392, 32, 10});
  const uint64_t size = (5ull << 30) + 3;
  const uint32_t sectors = static_cast<uint32_t>((size + 2047) / 2048);
  const FileSpec spec = file("big.ts", size, {{layout.data_start, sectors}});
  RoundTrip rt;
  round_trip(rt, layout, volume({spec}));
  const ParsedFile& f = rt.parsed->files[1];
  EXPECT_EQ(f.size, size);
  ASSERT_EQ(f.extents.size(), 6u);
  uint64_t total = 0;
  for (size_t i = 0; i < f.extents.size(); ++i) {
    EXPECT_LE(f.extents[i].bytes, kMaxExtentBytes);
    if (i + 1 < f.extents.size()) {
      EXPECT_EQ(f.extents[i].bytes % 2048, 0u);
      EXPECT_EQ(f.extents[i + 1].lba, f.extents[i].lba + f.extents[i].bytes / 2048);
    }
    total += f.extents[i].bytes;
  }
  EXPECT_EQ(total, size);
  std::vector<uint8_t> tail(3);
  ASSERT_TRUE(read_file_bytes(*rt.source, f, size - 3, tail).ok());
  EXPECT_TRUE(tail == testing::expected_bytes(spec, size - 3, 3));
  // The random-access layout puts the closing area at the end of the disc.
  EXPECT_EQ(rt.writes[1].lba + rt.writes[1].bytes.size() / 2048, 12'219'392u);
}

TEST(UdfVolumeBuilder, ThousandExtentsChainThroughAllocationExtentBlocks) {
  const VolumeLayout layout = dvd_plus_r(10);
  std::vector<FileExtent> extents;
  for (uint32_t i = 0; i < 1000; ++i) extents.push_back({layout.data_start + 3 * i, 2, i % 2 == 0});
  RoundTrip rt;
  VolumeSpec spec = volume({file("frag.ts", 1000 * 4096, extents)});
  spec.long_files = LongFileForm::kChained;
  EXPECT_EQ(file_part_names(spec.files[0], spec), std::vector<std::string>{"frag.ts"});
  round_trip(rt, layout, spec);
  ASSERT_EQ(rt.parsed->files.size(), 2u) << "one file";
  const ParsedFile& f = rt.parsed->files[1];
  ASSERT_EQ(f.extents.size(), 1000u);
  for (uint32_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(f.extents[i].lba, layout.data_start + 3 * i);
    EXPECT_EQ(f.extents[i].type, i % 2 == 0 ? ExtentType::kRecorded : ExtentType::kAllocatedNotRecorded);
  }
}

TEST(UdfVolumeBuilder, ThousandExtentsBecomePartsThatJoinBackIntoTheRecording) {
  const VolumeLayout layout = dvd_plus_r(10);
  std::vector<FileExtent> extents;
  for (uint32_t i = 0; i < 1000; ++i) extents.push_back({layout.data_start + 3 * i, 2, i % 2 == 0});
  const VolumeSpec spec = volume({file("cam1.ts", 1000 * 4096 - 100, extents), file("after.ts", 2048, {{layout.data_start + 3000, 1}})});
  ASSERT_EQ(spec.long_files, LongFileForm::kParts) << "the default";
  const std::vector<std::string> names = file_part_names(spec.files[0], spec);
  EXPECT_EQ(names, (std::vector<std::string>{"cam1.part001.ts", "cam1.part002.ts", "cam1.part003.ts",
                                             "cam1.part004.ts", "cam1.part005.ts"}));
  RoundTrip rt;
  round_trip(rt, layout, spec);
  ASSERT_EQ(rt.parsed->files.size(), 1u + 5 + 1);
  // Every part lists its extents in its own entry (what 7-Zip needs), whole
  // sectors but the last, and together they are the recording's bytes.
  std::vector<uint8_t> joined;
  for (size_t p = 0; p < 5; ++p) {
    const ParsedFile& part = rt.parsed->files[1 + p];
    EXPECT_EQ(part.path, "/DISCREC/" + names[p]);
    EXPECT_EQ(part.extents.size(), p < 4 ? 229u : 1000u - 4 * 229);
    if (p < 4) {
      EXPECT_EQ(part.size % kSectorSize, 0u);
    }
    std::vector<uint8_t> bytes(part.size);
    ASSERT_TRUE(read_file_bytes(*rt.source, part, 0, bytes).ok());
    joined.insert(joined.end(), bytes.begin(), bytes.end());
  }
  EXPECT_TRUE(joined == testing::expected_bytes(spec.files[0], 0, spec.files[0].size));
  // One recording again for appending and for the read-back check.
  auto recordings = recordings_from(*rt.parsed);
  ASSERT_TRUE(recordings.ok()) << recordings.error().to_string();
  ASSERT_EQ(recordings->size(), 2u);
  EXPECT_EQ((*recordings)[0].name, "cam1.ts");
  EXPECT_EQ((*recordings)[0].size, spec.files[0].size);
  EXPECT_EQ((*recordings)[0].extents.size(), 1000u);
  const Status checked = check_recordings(*rt.parsed, spec);
  EXPECT_TRUE(checked.ok()) << checked.error().to_string();
  VolumeSpec again = spec;
  again.files = *recordings;
  auto rebuilt = build_volume(layout, again);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().to_string();
  EXPECT_TRUE((*rebuilt)[0].bytes == rt.writes[0].bytes) << "same input, same metadata";
}

TEST(UdfVolumeBuilder, NamesThatOnlyLookLikePartsStayFiles) {
  const VolumeLayout layout = dvd_plus_r(10);
  const uint32_t d = layout.data_start;
  // A lone part 1, parts that do not start at 1, and a part 1 that is not
  // whole sectors are not the cut of one recording.
  const VolumeSpec spec = volume({file("a.part001.ts", 2048, {{d, 1}}), file("b.part002.ts", 2048, {{d + 1, 1}}),
                                  file("b.part003.ts", 2048, {{d + 2, 1}}), file("c.part001.ts", 100, {{d + 3, 1}}),
                                  file("c.part002.ts", 2048, {{d + 4, 1}})});
  RoundTrip rt;
  round_trip(rt, layout, spec);
  auto recordings = recordings_from(*rt.parsed);
  ASSERT_TRUE(recordings.ok());
  ASSERT_EQ(recordings->size(), 5u);
  EXPECT_TRUE(check_recordings(*rt.parsed, spec).ok());
}

TEST(UdfVolumeBuilder, EveryWriteUnitItsOwnExtentStillFits) {
  // The worst interleaving: four recordings taking turns unit by unit over a
  // whole BD-25, every other pair of units lost: ~380,000 extents (the old
  // planner had room for ~40,000). Whatever the writer did, the metadata area
  // the layout planned describes it, in either form and with either
  // lost-extent encoding.
  const VolumeLayout layout = *plan_layout({MediaKind::kSequentialWriteOnce, 12'219'392, 32, 4});
  const uint32_t units = (layout.data_limit - layout.data_start) / 32;
  std::vector<FileSpec> files;
  for (int r = 0; r < 4; ++r) files.push_back(file("r" + std::to_string(r) + ".ts", 0, {}));
  for (uint32_t u = 0; u < units; ++u) {
    FileSpec& f = files[u % 4];
    f.extents.push_back({layout.data_start + 32 * u, 32, (u / 4) % 2 == 0});
    f.size += 32 * 2048;
  }
  for (LongFileForm form : {LongFileForm::kParts, LongFileForm::kChained}) {
    for (LostExtentEncoding lost : {LostExtentEncoding::kAllocatedNotRecorded, LostExtentEncoding::kZeroFilled}) {
      VolumeSpec spec = volume(files);
      spec.long_files = form;
      spec.lost_extents = lost;
      auto writes = build_volume(layout, spec);
      EXPECT_TRUE(writes.ok()) << writes.error().to_string();
    }
  }
}

TEST(UdfVolumeBuilder, SequentialClosingAreaFollowsTheDataWithAnchorLast) {
  const VolumeLayout layout = dvd_plus_r();
  const uint32_t d = layout.data_start;
  auto writes = build_volume(layout, volume({file("a.ts", 3 * 2048, {{d + 100, 3}})}));
  ASSERT_TRUE(writes.ok());
  ASSERT_EQ(writes->size(), 2u);
  EXPECT_EQ((*writes)[0].lba, 0u);
  EXPECT_EQ((*writes)[0].bytes.size(), size_t{d} * 2048) << "the whole reserved track, front to back";
  EXPECT_EQ((*writes)[1].lba, d + 112) << "the next whole ECC block after the data";
  ASSERT_EQ((*writes)[1].bytes.size(), 32u * 2048);
  const std::span<const uint8_t> last(&(*writes)[1].bytes[31 * 2048], 2048);
  EXPECT_TRUE(check_tag(last, TagId::kAnchorVolumePointer, d + 112 + 31).ok());
  EXPECT_EQ(get32(last, 28), d + 112) << "reserve VDS at the start of the closing area";
  // data_end from the recorder (e.g. padding written after the last file) wins.
  VolumeSpec spec = volume({file("a.ts", 3 * 2048, {{d + 100, 3}})});
  spec.data_end = d + 200;
  EXPECT_EQ((*build_volume(layout, spec))[1].lba, d + 208);
}

TEST(UdfVolumeBuilder, RandomAccessAnchorIsTheLastSectorOfTheDisc) {
  const VolumeLayout layout = *plan_layout({MediaKind::kRandomAccess, 100'003, 16, 10});
  auto writes = build_volume(layout, volume({}));
  ASSERT_TRUE(writes.ok());
  const SectorWrite& tail = (*writes)[1];
  EXPECT_EQ(tail.lba + tail.bytes.size() / 2048, 100'003u);
  const std::span<const uint8_t> last(&tail.bytes[tail.bytes.size() - 2048], 2048);
  EXPECT_TRUE(check_tag(last, TagId::kAnchorVolumePointer, 100'002).ok());
}

TEST(UdfVolumeBuilder, RejectsBadInputWithClearErrors) {
  const VolumeLayout layout = dvd_plus_r(2);
  const uint32_t d = layout.data_start;
  const auto code = [&](std::vector<FileSpec> files) {
    auto r = build_volume(layout, volume(std::move(files)));
    return r.ok() ? std::optional<ErrorCode>() : r.error().code();
  };
  EXPECT_EQ(code({file("a/b.ts", 2048, {{d, 1}})}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code({file("", 2048, {{d, 1}})}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code({file("..", 2048, {{d, 1}})}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code({file(std::string(300, 'x'), 2048, {{d, 1}})}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code({file("\xff.ts", 2048, {{d, 1}})}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code({file("a.ts", 2048, {{d, 1}}), file("a.ts", 2048, {{d + 1, 1}})}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code({file("a.ts", 4097, {{d, 2}})}), ErrorCode::kInvalidArgument) << "size needs 3 sectors";
  EXPECT_EQ(code({file("a.ts", 2048, {{d - 1, 1}})}), ErrorCode::kInvalidArgument) << "inside metadata";
  EXPECT_EQ(code({file("a.ts", 2048, {{layout.data_limit, 1}})}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code({file("a.ts", 0, {{d, 0}})}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code({file("a", 0, {}), file("b", 0, {}), file("c", 0, {})}), ErrorCode::kResourceExhausted);
  // More fragments than whole write units allow (every sector its own extent):
  // past the worst case the layout planned for, the metadata area overflows.
  std::vector<FileExtent> many;
  for (uint32_t i = 0; i < 400'000; ++i) many.push_back({d + i, 1, i % 2 == 0});
  EXPECT_EQ(code({file("a.ts", 400'000 * 2048ull, many)}), ErrorCode::kResourceExhausted);
  EXPECT_EQ(code({file("ok.ts", 2048, {{d, 1}})}), std::nullopt);
  VolumeSpec bad_label = volume({});
  bad_label.label = "\xff";
  EXPECT_EQ(build_volume(layout, bad_label).error().code(), ErrorCode::kInvalidArgument);
}

TEST(UdfVolumeBuilder, AppendingRebuildsTheSameVolumePlusTheNewFile) {
  const VolumeLayout layout = *plan_layout({MediaKind::kRandomAccess, 12'219'392, 32, 10});
  const uint32_t d = layout.data_start;
  const uint32_t big = 3 * 262'144;  // 1.5 GiB: split in two on disc, one run again here
  VolumeSpec spec = volume({file("one.ts", uint64_t{big} * 2048, {{d, big}}),
                            file("two.ts", 7 * 2048 - 9, {{d + big, 3}, {d + big + 3, 2, false}, {d + big + 5, 2}})});
  RoundTrip rt;
  round_trip(rt, layout, spec);
  auto recordings = recordings_from(*rt.parsed);
  ASSERT_TRUE(recordings.ok()) << recordings.error().to_string();
  ASSERT_EQ(recordings->size(), 2u);
  EXPECT_EQ((*recordings)[0].extents.size(), 1u);
  VolumeSpec again = spec;
  again.files = *recordings;
  auto rebuilt = build_volume(layout, again);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_TRUE((*rebuilt)[0].bytes == rt.writes[0].bytes) << "same input, same metadata";
  EXPECT_TRUE((*rebuilt)[1].bytes == rt.writes[1].bytes);
  again.files.push_back(file("three.ts", 2048, {{d + big + 7, 1}}));
  RoundTrip appended;
  round_trip(appended, layout, again);
  ASSERT_EQ(appended.parsed->files.size(), 4u);
  EXPECT_EQ(appended.parsed->files[3].path, "/DISCREC/three.ts");
}

TEST(UdfVolumeBuilder, ZeroFilledLostExtentsPointAtZerosAndRebuildTheSame) {
  const VolumeLayout layout = dvd_plus_r();
  const uint32_t d = layout.data_start;
  VolumeSpec spec = volume({file("z.ts", 80 * 2048 - 3, {{d, 4}, {d + 4, 70, false}, {d + 74, 6}})});
  spec.lost_extents = LostExtentEncoding::kZeroFilled;
  RoundTrip rt;
  round_trip(rt, layout, spec);
  const ParsedFile& f = rt.parsed->files[1];
  ASSERT_EQ(f.extents.size(), 5u) << "70 lost sectors: three runs over the 32 zero blocks";
  for (size_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(f.extents[i].type, ExtentType::kRecorded);
    EXPECT_LT(f.extents[i].lba, d) << "inside the metadata area";
  }
  std::vector<uint8_t> bytes(f.size);
  ASSERT_TRUE(read_file_bytes(*rt.source, f, 0, bytes).ok());
  EXPECT_TRUE(bytes == testing::expected_bytes(spec.files[0], 0, f.size));
  auto recordings = recordings_from(*rt.parsed);
  ASSERT_TRUE(recordings.ok());
  ASSERT_EQ((*recordings)[0].extents.size(), 5u);
  EXPECT_FALSE((*recordings)[0].extents[2].recorded);
  VolumeSpec again = spec;
  again.files = *recordings;
  auto rebuilt = build_volume(layout, again);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().to_string();
  EXPECT_TRUE((*rebuilt)[0].bytes == rt.writes[0].bytes);
  // The zero run's LBA means nothing as a typed lost extent: refused, not misdescribed.
  again.lost_extents = LostExtentEncoding::kAllocatedNotRecorded;
  EXPECT_EQ(build_volume(layout, again).error().code(), ErrorCode::kInvalidArgument);
}

TEST(UdfVolumeBuilder, CheckRecordingsFindsTheFirstDifference) {
  const VolumeLayout layout = dvd_plus_r();
  const uint32_t d = layout.data_start;
  VolumeSpec spec = volume({file("a.ts", 3 * 2048, {{d, 3}}),
                            file("b.ts", 40 * 2048, {{d + 16, 4}, {d + 20, 33, false}, {d + 53, 3}})});
  for (LostExtentEncoding encoding : {LostExtentEncoding::kAllocatedNotRecorded, LostExtentEncoding::kZeroFilled}) {
    spec.lost_extents = encoding;
    RoundTrip rt;
    round_trip(rt, layout, spec);
    EXPECT_TRUE(check_recordings(*rt.parsed, spec).ok()) << check_recordings(*rt.parsed, spec).error().to_string();
    VolumeSpec other = spec;
    other.files[1].extents[2].lba += 1;
    other.files[1].extents[1].sectors -= 1;
    auto st = check_recordings(*rt.parsed, other);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), ErrorCode::kDataLoss);
    EXPECT_NE(st.error().message().find("b.ts"), std::string::npos) << st.error().to_string();
    other = spec;
    other.files[0].modified += std::chrono::microseconds(1);
    EXPECT_FALSE(check_recordings(*rt.parsed, other).ok());
    other = spec;
    other.files.pop_back();
    EXPECT_FALSE(check_recordings(*rt.parsed, other).ok());
  }
}

TEST(UdfVolumeBuilder, EmptyVolumeStillHasTheRecordingDirectory) {
  RoundTrip rt;
  round_trip(rt, dvd_plus_r(), volume({}));
  ASSERT_EQ(rt.parsed->files.size(), 1u);
  EXPECT_EQ(rt.parsed->files[0].path, "/DISCREC");
}

TEST(UdfVolumeBuilder, RecordingFileNamesAreSafeEverywhere) {
  using namespace std::chrono;
  const TimePoint t = TimePoint(sys_days(year(2026) / November / 25).time_since_epoch() + 23h + 45min + 7s);
  EXPECT_EQ(recording_file_name(t, "rec001", "news"), "2026-11-25T23-45-07Z_rec001_news.ts");
  EXPECT_EQ(recording_file_name(t, "rec001", ""), "2026-11-25T23-45-07Z_rec001.ts");
  EXPECT_EQ(recording_file_name(t, "r", "a/b:c*?\"<>|\\d\x01"), "2026-11-25T23-45-07Z_r_a_b_c_______d_.ts");
  EXPECT_EQ(recording_file_name(t, "r", "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5"), "2026-11-25T23-45-07Z_r_\xc3\xa9t\xc3\xa9 \xe6\x97\xa5.ts");
  EXPECT_EQ(recording_file_name(t, "r", "bad\xff" "utf8\xf0\x9f\x98\x80"), "2026-11-25T23-45-07Z_r_bad_utf8_.ts");
  // Titles that clean to the same text in the same second still differ by id.
  EXPECT_NE(recording_file_name(t, "rec001", "a/b"), recording_file_name(t, "rec002", "a:b"));
  // An id from a foreign journal cannot smuggle a separator in.
  EXPECT_EQ(recording_file_name(t, "../x", ""), "2026-11-25T23-45-07Z____x.ts");
  const std::string long_name = recording_file_name(t, std::string(63, 'i'), std::string(500, 'x'));
  EXPECT_EQ(long_name.size(), 21 + 92 + 3u);
  // The longest name in 16-bit characters still fits a file identifier.
  std::string wide;
  for (int i = 0; i < 100; ++i) wide += "\xe6\x97\xa5";
  const std::string wide_name = recording_file_name(t, std::string(63, 'i'), wide);
  ASSERT_TRUE(encode_cs0(wide_name).ok());
  EXPECT_LE(encode_cs0(wide_name)->size(), 255u);
  EXPECT_TRUE(encode_cs0(long_name).ok());
  // The most 16-bit characters a name can have, as part 10000 of many.
  const std::string widest = recording_file_name(t, "r", "\xe6\x97\xa5" + std::string(100, 'x'));
  std::vector<FileExtent> many;
  for (uint32_t i = 0; i < 229 * 10'000; ++i) many.push_back({2 * i, 1});
  VolumeSpec spec;
  spec.files.push_back({widest, 2048ull * many.size(), {}, {}, many});
  const auto parts = file_part_names(spec.files[0], spec);
  ASSERT_EQ(parts.size(), 10'000u);
  EXPECT_EQ(parts.back(), widest.substr(0, widest.size() - 3) + ".part10000.ts");
  auto encoded = encode_cs0(parts.back());
  ASSERT_TRUE(encoded.ok());
  EXPECT_LE(encoded->size(), 255u);
}

TEST(UdfVolumeBuilder, VolumeLabelsAreCheckedBeforeUse) {
  EXPECT_TRUE(check_volume_label("EVENT_2026").ok());
  EXPECT_TRUE(check_volume_label(std::string(30, 'L')).ok());
  EXPECT_TRUE(check_volume_label(std::string(15 * 3 / 3, 'x') + "\xc3\xa9").ok());
  EXPECT_FALSE(check_volume_label(std::string(31, 'L')).ok());
  EXPECT_FALSE(check_volume_label("cam\xf0\x9f\x98\x80").ok()) << "outside the BMP";
  EXPECT_FALSE(check_volume_label("bad\xff").ok());
  EXPECT_FALSE(check_volume_label("tab\there").ok());
  std::string cjk;
  for (int i = 0; i < 16; ++i) cjk += "\xe6\x97\xa5";
  EXPECT_FALSE(check_volume_label(cjk).ok()) << "16 characters beyond Latin-1";
  // What the check accepts, build_volume writes.
  EXPECT_TRUE(encode_cs0(cjk.substr(0, 15 * 3)).ok());
}

}  // namespace
}  // namespace discrec::recorder::udf
