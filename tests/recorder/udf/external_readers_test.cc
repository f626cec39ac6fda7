// Images built by discrec opened by readers nobody here wrote: udfinfo (udftools),
// 7-Zip, libudfread (udfread_check) and ffprobe on the extracted streams.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "recorder/udf/volume_builder.h"
#include "recorder/udf/volume_reader.h"
#include "recorder/udf/volume_update.h"
#include "tests/recorder/udf/image_fixture.h"

namespace discrec::recorder::udf {
namespace {

using namespace std::chrono_literals;
using testing::CommandOutput;
using testing::TempDir;
using testing::run;

const TimePoint kStart = TimePoint(std::chrono::seconds(1'795'000'000));  // 2026-11-18

std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::string sevenzip() {
  for (const char* bin : {"7zz", "7z"}) {
    if (run(std::string("command -v ") + bin).status == 0) return bin;
  }
  return "";
}

struct Disc {
  VolumeLayout layout;
  VolumeSpec spec;
  std::filesystem::path image;
  uint64_t image_sectors = 0;
};

// Builds the volume and writes it, with every file's data, into an image.
void build(Disc& disc, const TempDir& dir) {
  auto writes = build_volume(disc.layout, disc.spec);
  ASSERT_TRUE(writes.ok()) << writes.error().to_string();
  disc.image = dir.path() / "disc.img";
  // Sequential media end at the closing unit; random-access media at capacity.
  disc.image_sectors = uint64_t{writes->back().lba} + writes->back().bytes.size() / kSectorSize;
  testing::write_image(disc.image, disc.image_sectors, *writes);
  for (const FileSpec& f : disc.spec.files) testing::fill_file(disc.image, f);
}

// A file as readers list it: a whole recording or one of its parts
// (LongFileForm::kParts), and where its bytes start in the recording.
struct ListedFile {
  std::string name;
  uint64_t size = 0;
  uint64_t offset = 0;
  const FileSpec* recording = nullptr;
  bool typed_lost = false;  // holds an "allocated, not recorded" extent
  size_t extents = 0;
};

// The disc's files, part sizes as discrec's own reader finds them.
std::vector<ListedFile> listed_files(const Disc& disc) {
  auto source = ImageFileSectorSource::open(disc.image);
  EXPECT_TRUE(source.ok());
  auto parsed = read_volume(*source);
  EXPECT_TRUE(parsed.ok()) << parsed.error().to_string();
  std::vector<ListedFile> out;
  if (!parsed.ok()) return out;
  for (const FileSpec& f : disc.spec.files) {
    uint64_t offset = 0;
    for (const std::string& name : file_part_names(f, disc.spec)) {
      ListedFile listed{name, 0, offset, &f};
      for (const ParsedFile& p : parsed->files) {
        if (p.path != "/DISCREC/" + name) continue;
        listed.size = p.size;
        listed.extents = p.extents.size();
        for (const ParsedExtent& x : p.extents) listed.typed_lost |= x.type == ExtentType::kAllocatedNotRecorded;
      }
      offset += listed.size;
      out.push_back(listed);
    }
    EXPECT_EQ(offset, f.size) << f.name << ": the parts add up to the recording";
  }
  return out;
}

// udfinfo must accept the image and report our label and revision.
void check_udfinfo(const Disc& disc) {
  CommandOutput out = run("udfinfo " + quote(disc.image));
  ASSERT_EQ(out.status, 0) << out.output;
  EXPECT_NE(out.output.find("label=" + disc.spec.label), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("udfrev=2.01"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("blocksize=2048"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("integrity=closed"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("numfiles=" + std::to_string(listed_files(disc).size()) + "\n"), std::string::npos)
      << out.output;
  // Both anchors found: udfinfo warns when the one at the end is missing.
  EXPECT_EQ(out.output.find("Anchor Volume Descriptor Pointer not found"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("type=RVDS"), std::string::npos) << out.output;
}

// libudfread lists every file with its size.
void check_udfread_listing(const Disc& disc) {
  CommandOutput out = run(std::string(UDFREAD_CHECK) + " " + quote(disc.image));
  ASSERT_EQ(out.status, 0) << out.output;
  EXPECT_NE(out.output.find("d 0 /DISCREC\n"), std::string::npos) << out.output;
  for (const ListedFile& f : listed_files(disc)) {
    EXPECT_NE(out.output.find("f " + std::to_string(f.size) + " /DISCREC/" + f.name + "\n"), std::string::npos)
        << f.name << "\n" << out.output;
  }
}

std::vector<uint8_t> udfread_bytes(const Disc& disc, const std::string& name, uint64_t offset, uint64_t length,
                                   const TempDir& dir) {
  const auto out_file = dir.path() / "udfread.out";
  CommandOutput out = run(std::string(UDFREAD_CHECK) + " " + quote(disc.image) + " '/DISCREC/" + name + "' " +
                          std::to_string(offset) + " " + std::to_string(length) + " > " + quote(out_file));
  EXPECT_EQ(out.status, 0) << out.output;
  return testing::read_whole_file(out_file);
}

// 7-Zip lists every file with its size; `extract` also extracts and compares.
void check_7zip(const Disc& disc, const TempDir& dir, bool extract) {
  const std::string bin = sevenzip();
  ASSERT_FALSE(bin.empty()) << "7-Zip (package 7zip) missing";
  CommandOutput list = run(bin + " l -slt " + quote(disc.image));
  ASSERT_EQ(list.status, 0) << list.output;
  const std::vector<ListedFile> files = listed_files(disc);
  for (const ListedFile& f : files) {
    const std::string entry = "Path = DISCREC/" + f.name + "\nFolder = -\nSize = " + std::to_string(f.size) + "\n";
    EXPECT_NE(list.output.find(entry), std::string::npos) << entry << list.output;
  }
  if (!extract) return;
  const auto out_dir = dir.path() / "7z";
  CommandOutput x = run(bin + " x -y -o" + quote(out_dir) + " " + quote(disc.image));
  bool refused_any = false;
  for (const ListedFile& f : files) {
    // 7-Zip extracts only files whose extents are all recorded and listed in the
    // entry itself; it refuses the others by name ("Unsupported Method"), which
    // is how it treats lost extents and chained allocation descriptors.
    if (x.output.find("Unsupported Method : DISCREC/" + f.name) != std::string::npos) {
      refused_any = true;
      const bool typed_lost = f.typed_lost && disc.spec.lost_extents == LostExtentEncoding::kAllocatedNotRecorded;
      const bool chained = disc.spec.long_files == LongFileForm::kChained && f.extents > 229;
      EXPECT_TRUE(typed_lost || chained) << "7-Zip refused a plain file: " << f.name;
      continue;
    }
    const auto got = testing::read_whole_file(out_dir / "DISCREC" / f.name);
    EXPECT_EQ(got.size(), f.size) << f.name << "\n" << x.output;
    EXPECT_TRUE(got == testing::expected_bytes(*f.recording, f.offset, f.size))
        << "7-Zip extracted other bytes for " << f.name;
  }
  EXPECT_EQ(x.status, refused_any ? 2 : 0) << x.output;
}

FileSpec file(const std::string& title, uint64_t size, std::vector<FileExtent> extents, TimePoint start) {
  FileSpec f;
  f.name = recording_file_name(start, "rec001", title);
  f.size = size;
  f.created = start;
  f.modified = start + 10min;
  f.extents = std::move(extents);
  return f;
}

void sequential_disc_with_lost_extent(LostExtentEncoding encoding) {
  TempDir dir;
  Disc disc;
  auto layout = plan_layout({MediaKind::kSequentialWriteOnce, 2'295'104, 16, 100});
  ASSERT_TRUE(layout.ok()) << layout.error().to_string();
  disc.layout = *layout;
  disc.spec.label = "DISCREC_TEST";
  disc.spec.lost_extents = encoding;
  disc.spec.created = kStart;
  disc.spec.finalized = kStart + 1h;
  const uint32_t d = disc.layout.data_start;
  disc.spec.files.push_back(file("news", 1'048'576 + 123, {{d, 513}}, kStart));
  // Recorded, lost, recorded: the lost 32 sectors read as zeros.
  disc.spec.files.push_back(
      file("match: final", 100 * 2048 + 7, {{d + 528, 50}, {d + 578, 32, false}, {d + 610, 19}}, kStart + 1h));
  disc.spec.files.push_back(file("tiny", 5000, {{d + 640, 3}}, kStart + 2h));
  build(disc, dir);
  check_udfinfo(disc);
  check_udfread_listing(disc);
  check_7zip(disc, dir, true);
  const FileSpec& lossy = disc.spec.files[1];
  EXPECT_TRUE(udfread_bytes(disc, lossy.name, 0, lossy.size, dir) == testing::expected_bytes(lossy, 0, lossy.size));
  const auto lost = udfread_bytes(disc, lossy.name, 50 * 2048, 32 * 2048, dir);
  EXPECT_EQ(lost, std::vector<uint8_t>(32 * 2048, 0));
}

TEST(UdfExternalReaders, SequentialDvdPlusRWithLostExtent) {
  sequential_disc_with_lost_extent(LostExtentEncoding::kAllocatedNotRecorded);
}

TEST(UdfExternalReaders, ZeroFilledLostExtentExtractsEvenWith7Zip) {
  sequential_disc_with_lost_extent(LostExtentEncoding::kZeroFilled);
}

TEST(UdfExternalReaders, RandomAccessBdReFilesOver4GiB) {
  TempDir dir;
  Disc disc;
  auto layout = plan_layout({MediaKind::kRandomAccess, 12'219'392, 32, 1000});
  ASSERT_TRUE(layout.ok());
  disc.layout = *layout;
  disc.spec.label = "BD-RE \xc3\xa9t\xc3\xa9";  // UTF-8 label, 8-bit CS0
  disc.spec.created = kStart;
  disc.spec.finalized = kStart + 3h;
  const uint32_t d = disc.layout.data_start;
  const uint64_t five_gib = (5ull << 30) + 1000;
  const uint32_t five_gib_sectors = static_cast<uint32_t>((five_gib + 2047) / 2048);
  // 1.5 GiB, then a 5 GiB recording with a lost extent at 2 GiB.
  const uint32_t s1 = 3 * 262'144;
  disc.spec.files.push_back(file("first", uint64_t{s1} * 2048, {{d, s1}}, kStart));
  const uint32_t d2 = d + s1;
  const uint32_t before = 1'048'576, lost = 64;
  disc.spec.files.push_back(file("\xe6\x97\xa5\xe6\x9c\xac long", five_gib,  // 16-bit CS0 name
                                 {{d2, before}, {d2 + before, lost, false},
                                  {d2 + before + lost, five_gib_sectors - before - lost}},
                                 kStart + 30min));
  build(disc, dir);
  EXPECT_EQ(disc.image_sectors, 12'219'392u);
  check_udfinfo(disc);
  check_udfread_listing(disc);
  check_7zip(disc, dir, false);  // listing only: extracting 6.5 GiB is not a unit of work
  const FileSpec& big = disc.spec.files[1];
  // Around the 1 GiB extent splits, the lost extent, past 4 GiB and the tail.
  for (uint64_t offset : {uint64_t{0}, uint64_t{(1ull << 30) - 4096}, uint64_t{before} * 2048 - 4096,
                          uint64_t{before + lost} * 2048, uint64_t{32768} * 2048 * 72 - 100, uint64_t{five_gib - 5000}}) {
    const uint64_t len = std::min<uint64_t>(8192, five_gib - offset);
    EXPECT_TRUE(udfread_bytes(disc, big.name, offset, len, dir) == testing::expected_bytes(big, offset, len))
        << "libudfread at offset " << offset;
  }
  auto source = ImageFileSectorSource::open(disc.image);
  ASSERT_TRUE(source.ok());
  auto parsed = read_volume(*source);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->label, disc.spec.label);
  ASSERT_EQ(parsed->files.size(), 3u);
  EXPECT_EQ(parsed->files[2].size, five_gib);
  EXPECT_EQ(parsed->files[2].path, "/DISCREC/" + big.name);
}

// 700 extents of 2 sectors, every third lost when `lost`.
void disc_with_hundreds_of_extents(LongFileForm form, bool lost) {
  TempDir dir;
  Disc disc;
  auto layout = plan_layout({MediaKind::kSequentialWriteOnce, 2'295'104, 16, 10});
  ASSERT_TRUE(layout.ok());
  disc.layout = *layout;
  disc.spec.label = "FRAGMENTED";
  disc.spec.created = kStart;
  disc.spec.finalized = kStart;
  disc.spec.long_files = form;
  std::vector<FileExtent> extents;
  for (uint32_t i = 0; i < 700; ++i) extents.push_back({disc.layout.data_start + 3 * i, 2, !lost || i % 3 != 1});
  disc.spec.files.push_back(file("fragmented", 700 * 4096 - 1, extents, kStart));
  build(disc, dir);
  check_udfinfo(disc);
  check_udfread_listing(disc);
  check_7zip(disc, dir, true);
  const FileSpec& f = disc.spec.files[0];
  std::vector<uint8_t> joined;
  for (const ListedFile& part : listed_files(disc)) {
    const auto bytes = udfread_bytes(disc, part.name, 0, part.size, dir);
    joined.insert(joined.end(), bytes.begin(), bytes.end());
  }
  EXPECT_TRUE(joined == testing::expected_bytes(f, 0, f.size));
}

TEST(UdfExternalReaders, FileWithHundredsOfExtentsChainsAllocationBlocks) {
  disc_with_hundreds_of_extents(LongFileForm::kChained, /*lost=*/true);
}

// What an interleaved multi-stream recording needs: every reader, 7-Zip
// included, extracts every part, and the parts join into the recording.
TEST(UdfExternalReaders, FileWithHundredsOfExtentsInPartsExtractsEverywhere) {
  disc_with_hundreds_of_extents(LongFileForm::kParts, /*lost=*/false);
}

TEST(UdfExternalReaders, TransportStreamSurvivesAndProbes) {
  TempDir dir;
  const auto ts = dir.path() / "src.ts";
  CommandOutput gen = run("ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=duration=2:size=160x120:rate=25 "
                          "-c:v mpeg2video -f mpegts " + quote(ts));
  ASSERT_EQ(gen.status, 0) << gen.output;
  const auto content = testing::read_whole_file(ts);
  ASSERT_GT(content.size(), 10000u);
  Disc disc;
  auto layout = plan_layout({MediaKind::kSequentialWriteOnce, 12'219'392, 32, 10});
  ASSERT_TRUE(layout.ok());
  disc.layout = *layout;
  disc.spec.label = "TS";
  disc.spec.created = kStart;
  disc.spec.finalized = kStart;
  const uint32_t sectors = static_cast<uint32_t>((content.size() + 2047) / 2048);
  const uint32_t half = sectors / 2;
  // Two extents with a gap between them on disc, as two interleaved recordings leave.
  disc.spec.files.push_back(file("testsrc", content.size(),
                                 {{disc.layout.data_start, half}, {disc.layout.data_start + half + 64, sectors - half}},
                                 kStart));
  build(disc, dir);
  testing::write_content(disc.image, disc.spec.files[0], content);
  const std::string bin = sevenzip();
  const auto out_dir = dir.path() / "x";
  ASSERT_EQ(run(bin + " x -y -o" + quote(out_dir) + " " + quote(disc.image)).status, 0);
  const auto extracted = out_dir / "DISCREC" / disc.spec.files[0].name;
  EXPECT_TRUE(testing::read_whole_file(extracted) == content);
  CommandOutput probe = run("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " + quote(extracted));
  EXPECT_EQ(probe.status, 0) << probe.output;
  EXPECT_NE(probe.output.find("mpeg2video"), std::string::npos) << probe.output;
  const auto via_udfread = dir.path() / "udfread.ts";
  {
    std::ofstream out(via_udfread, std::ios::binary);
    const auto bytes = udfread_bytes(disc, disc.spec.files[0].name, 0, content.size(), dir);
    EXPECT_TRUE(bytes == content);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  probe = run("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " + quote(via_udfread));
  EXPECT_EQ(probe.status, 0) << probe.output;
  EXPECT_NE(probe.output.find("mpeg2video"), std::string::npos) << probe.output;
}

TEST(UdfExternalReaders, ThousandRecordingsSpanManyDirectoryBlocks) {
  TempDir dir;
  Disc disc;
  auto layout = plan_layout({MediaKind::kSequentialWriteOnce, 12'219'392, 32, 1000});
  ASSERT_TRUE(layout.ok());
  disc.layout = *layout;
  disc.spec.label = "MANY";
  disc.spec.created = kStart;
  disc.spec.finalized = kStart;
  for (uint32_t i = 0; i < 1000; ++i) {
    // Names of varying length, so identifiers straddle directory block boundaries.
    disc.spec.files.push_back(file("rec " + std::to_string(i) + std::string(i % 37, 'x'), 2048 - i,
                                   {{disc.layout.data_start + i, 1}}, kStart + std::chrono::minutes(i)));
  }
  build(disc, dir);
  check_udfinfo(disc);
  check_udfread_listing(disc);
  check_7zip(disc, dir, false);
  auto source = ImageFileSectorSource::open(disc.image);
  ASSERT_TRUE(source.ok());
  auto parsed = read_volume(*source);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_TRUE(check_recordings(*parsed, disc.spec).ok());
  const FileSpec& last = disc.spec.files.back();
  EXPECT_TRUE(udfread_bytes(disc, last.name, 0, last.size, dir) == testing::expected_bytes(last, 0, last.size));
}

// discrec's reader against volumes another implementation wrote (mkudffs).
TEST(UdfExternalReaders, ReaderOpensMkudffsVolumes) {
  TempDir dir;
  const auto plain = dir.path() / "hd.img";
  CommandOutput mk = run("truncate -s 64M " + quote(plain) + " && mkudffs --media-type=hd --udfrev=0x0201 -b 2048 "
                         "--label=MKUDFFS " + quote(plain));
  ASSERT_EQ(mk.status, 0) << mk.output;
  auto source = ImageFileSectorSource::open(plain);
  ASSERT_TRUE(source.ok());
  auto v = read_volume(*source);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->label, "MKUDFFS");
  EXPECT_TRUE(v->integrity_closed);

  // A CD-R image gets a VAT (type-2 map): refused by name, not misread.
  const auto vat = dir.path() / "cdr.img";
  mk = run("truncate -s 64M " + quote(vat) + " && mkudffs --media-type=cdr -b 2048 " + quote(vat));
  ASSERT_EQ(mk.status, 0) << mk.output;
  auto vat_source = ImageFileSectorSource::open(vat);
  ASSERT_TRUE(vat_source.ok());
  auto refused = read_volume(*vat_source);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnsupported) << refused.error().to_string();
  EXPECT_NE(refused.error().message().find("partition map type 2"), std::string::npos) << refused.error().to_string();
}

// Writes an update into the image, in its three steps.
void apply(const std::filesystem::path& image, const VolumeUpdate& update) {
  std::fstream f(image, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.is_open());
  std::vector<SectorWrite> all = update.prepare;
  all.push_back(update.commit);
  all.insert(all.end(), update.complete.begin(), update.complete.end());
  for (const SectorWrite& w : all) {
    f.seekp(static_cast<std::streamoff>(uint64_t{w.lba} * kSectorSize));
    f.write(reinterpret_cast<const char*>(w.bytes.data()), static_cast<std::streamsize>(w.bytes.size()));
  }
  ASSERT_TRUE(f.good());
}

// Adds `add` (placed at the start of the largest free run) and removes
// `remove` in the disc's image; the disc's spec follows.
void update(Disc& disc, std::vector<FileSpec> add, std::vector<std::string> remove, uint32_t unit) {
  auto source = ImageFileSectorSource::open(disc.image);
  ASSERT_TRUE(source.ok());
  auto live = read_volume(*source);
  ASSERT_TRUE(live.ok()) << live.error().to_string();
  ASSERT_TRUE(check_updatable(*live, source->sector_count()).ok());
  auto runs = free_runs(*live, unit);
  ASSERT_FALSE(runs.empty());
  const SectorRun largest = *std::max_element(runs.begin(), runs.end(),
                                              [](const SectorRun& a, const SectorRun& b) { return a.sectors < b.sectors; });
  uint32_t lba = largest.lba;
  for (FileSpec& f : add) {
    for (FileExtent& x : f.extents) {
      x.lba = lba;
      lba += (x.sectors + unit - 1) / unit * unit;
    }
    ASSERT_LE(lba, largest.end());
    testing::fill_file(disc.image, f);
  }
  VolumeChange change;
  change.add = add;
  change.remove = remove;
  change.when = kStart + 24h;
  auto planned = plan_update(*source, *live, change, unit);
  ASSERT_TRUE(planned.ok()) << planned.error().to_string();
  apply(disc.image, *planned);
  std::erase_if(disc.spec.files, [&](const FileSpec& f) {
    return std::find(remove.begin(), remove.end(), f.name) != remove.end();
  });
  disc.spec.files.insert(disc.spec.files.end(), add.begin(), add.end());
}

TEST(UdfExternalReaders, UpdatedVolumesOpenEverywhere) {
  TempDir dir;
  Disc disc;
  auto layout = plan_layout({MediaKind::kRandomAccess, 200'000, 32, 100});
  ASSERT_TRUE(layout.ok());
  disc.layout = *layout;
  disc.spec.label = "DVR DISC";
  disc.spec.created = kStart;
  disc.spec.finalized = kStart;
  const uint32_t d = disc.layout.data_start;
  disc.spec.files.push_back(file("monday", 3000 * 2048 - 7, {{d, 3000}}, kStart));
  disc.spec.files.push_back(file("tuesday", 2000 * 2048, {{d + 3008, 2000}}, kStart + 24h));
  build(disc, dir);
  // Wednesday is added, then Monday deleted and Thursday recorded.
  update(disc, {file("wednesday", 4000 * 2048 - 188, {{0, 4000}}, kStart + 48h)}, {}, 32);
  check_udfinfo(disc);
  check_udfread_listing(disc);
  check_7zip(disc, dir, true);
  const std::string monday = disc.spec.files[0].name;
  update(disc, {file("thursday", 1000 * 2048, {{0, 1000}}, kStart + 72h)}, {monday}, 32);
  ASSERT_EQ(disc.spec.files.size(), 3u);
  check_udfinfo(disc);
  check_udfread_listing(disc);
  check_7zip(disc, dir, true);
}

TEST(UdfExternalReaders, MkudffsVolumeTakesRecordingsAndStaysReadable) {
  TempDir dir;
  Disc disc;
  disc.image = dir.path() / "dvdram.img";
  CommandOutput mk = run("truncate -s 200M " + quote(disc.image) + " && mkudffs --media-type=dvdram --label=FOREIGN " +
                         quote(disc.image));
  ASSERT_EQ(mk.status, 0) << mk.output;
  disc.spec.label = "FOREIGN";
  update(disc, {file("evening news", 1500 * 2048 - 5, {{0, 1500}}, kStart)}, {}, 16);
  check_udfinfo(disc);
  check_udfread_listing(disc);
  check_7zip(disc, dir, true);
  update(disc, {file("late movie", 700 * 2048, {{0, 700}}, kStart + 2h)}, {}, 16);
  check_udfinfo(disc);
  check_udfread_listing(disc);
  check_7zip(disc, dir, true);
}

// Foreign files, written by another UDF implementation (udfclient, NetBSD's)
// into a mkudffs volume, in the root and in a directory of their own: the
// recordings discrec adds leave them byte-identical for every reader.
TEST(UdfExternalReaders, ForeignFilesStayByteIdenticalWhenRecordingsAreAdded) {
  if (run("command -v udfclient").status != 0) GTEST_SKIP() << "udfclient (package udfclient) missing";
  TempDir dir;
  Disc disc;
  disc.image = dir.path() / "dvdram.img";
  const auto photo = dir.path() / "photo.jpg";
  const auto notes = dir.path() / "notes.txt";
  CommandOutput made = run("head -c 300001 /dev/urandom > " + quote(photo) + " && printf 'shopping list\\n' > " +
                           quote(notes) + " && truncate -s 200M " + quote(disc.image) +
                           " && mkudffs --media-type=dvdram --label=FAMILY " + quote(disc.image));
  ASSERT_EQ(made.status, 0) << made.output;
  // udfclient names the volume by its set id; its commands come on stdin.
  CommandOutput listing = run("cd " + quote(dir.path()) + " && printf 'ls\\nquit\\n' | udfclient -b 2048 " +
                              quote(disc.image));
  const size_t at = listing.output.find(":FAMILY:FAMILY:");
  ASSERT_NE(at, std::string::npos) << listing.output;
  const size_t start = listing.output.rfind(' ', at) + 1;
  const std::string volume = listing.output.substr(start, listing.output.find('\n', at) - start);
  CommandOutput wrote = run("cd " + quote(dir.path()) + " && printf 'cd " + volume +
                            "\\nmkdir photos\\ncd photos\\nput photo.jpg\\ncd ..\\nput notes.txt\\nsync\\nquit\\n' | "
                            "udfclient -W -b 2048 " + quote(disc.image));
  ASSERT_EQ(wrote.status, 0) << wrote.output;
  disc.spec.label = "FAMILY";
  update(disc, {file("match of the day", 900 * 2048 - 61, {{0, 900}}, kStart)}, {}, 16);
  update(disc, {file("film", 500 * 2048, {{0, 500}}, kStart + 3h)}, {}, 16);
  check_udfread_listing(disc);
  check_7zip(disc, dir, true);
  const auto out = dir.path() / "7z";
  EXPECT_TRUE(testing::read_whole_file(out / "photos" / "photo.jpg") == testing::read_whole_file(photo));
  EXPECT_TRUE(testing::read_whole_file(out / "notes.txt") == testing::read_whole_file(notes));
  // The foreign entries themselves are where they were, unchanged.
  CommandOutput info = run("udfinfo " + quote(disc.image));
  EXPECT_EQ(info.status, 0) << info.output;
  EXPECT_NE(info.output.find("numfiles=4\n"), std::string::npos) << info.output;
  CommandOutput read = run(std::string(UDFREAD_CHECK) + " " + quote(disc.image));
  EXPECT_NE(read.output.find("f 300001 /photos/photo.jpg\n"), std::string::npos) << read.output;
}

}  // namespace
}  // namespace discrec::recorder::udf
