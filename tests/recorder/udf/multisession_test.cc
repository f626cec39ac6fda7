// Write-once discs in sessions (recorder/udf/multisession.h) on the emulated
// drive: three sessions, each closed without closing the disc, each with a
// volume that lists every recording so far. After each session the disc is
// read through the Drive with read_volume_at and its image with libudfread,
// udfinfo and 7-Zip, and the test asserts which session each of them sees
// (recorder/udf/README.md, "Sessions", has the table).
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>

#include "device/drive.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/multisession.h"
#include "tests/recorder/udf/image_fixture.h"

namespace discrec::recorder::udf {
namespace {

using testing::run;
using testing::TempDir;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'795'000'000));

std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

Status write_all(device::Drive& drive, const SectorWrite& w) {
  constexpr size_t kChunk = 32 * kSectorSize;
  for (size_t done = 0; done < w.bytes.size(); done += kChunk) {
    const size_t n = std::min(kChunk, w.bytes.size() - done);
    RETURN_IF_ERROR(drive.write12(w.lba + static_cast<uint32_t>(done / kSectorSize),
                                  std::span<const uint8_t>(w.bytes).subspan(done, n), false));
  }
  return ok_status();
}

// The names listed by a reader's output that are recordings ("/DISCREC/x.ts").
std::set<std::string> names_in(const std::string& output, const std::vector<FileSpec>& all) {
  std::set<std::string> seen;
  for (const FileSpec& f : all) {
    if (output.find(f.name) != std::string::npos) seen.insert(f.name);
  }
  return seen;
}

std::set<std::string> names_of(const std::vector<FileSpec>& files) {
  std::set<std::string> out;
  for (const FileSpec& f : files) out.insert(f.name);
  return out;
}

// udfinfo's "key=value" line; "" when it has none.
std::string value_of(const std::string& output, const std::string& key) {
  const std::string text = "\n" + output;
  const size_t at = text.find("\n" + key + "=");
  if (at == std::string::npos) return "";
  const size_t from = at + key.size() + 2;
  return text.substr(from, text.find('\n', from) - from);
}

// udfinfo's report (stdout) and its warnings (stderr), apart: they
// interleave unpredictably on one pipe.
struct UdfInfo {
  int status = -1;
  std::string report, warnings;
};
UdfInfo udfinfo(const std::string& arguments) {
  UdfInfo out;
  auto report = run("{ udfinfo " + arguments + " 2>/dev/null; }");
  out.status = report.status;
  out.report = report.output;
  out.warnings = run("{ udfinfo " + arguments + " >/dev/null; }").output;
  return out;
}

struct Medium {
  const char* uri_profile;
  uint16_t profile;
};

class MultisessionOnSimDrive : public ::testing::TestWithParam<Medium> {};

TEST_P(MultisessionOnSimDrive, ThreeSessionsEachListingEveryRecording) {
  const Medium m = GetParam();
  TempDir dir;
  const auto image = dir.path() / "disc.img";
  auto drive = device::Drive::open("sim://" + image.string() + "?profile=" + m.uri_profile +
                                   "&timing=off&blocks=200000");
  ASSERT_TRUE(drive.ok()) << drive.error().to_string();
  auto caps = (*drive)->probe();
  ASSERT_TRUE(caps.ok()) << caps.error().to_string();
  const uint32_t unit = caps->is_bd() ? 32 : 16;

  std::vector<FileSpec> all;             // every recording so far
  std::vector<uint32_t> session_starts;  // each session's first LBA
  for (int session = 1; session <= 3; ++session) {
    SCOPED_TRACE("session " + std::to_string(session));
    device::Drive& d = **drive;  // reopened after each session
    // Where the new session goes, and what the last closed one holds.
    auto info = d.read_sessions(*caps);
    ASSERT_TRUE(info.ok()) << info.error().to_string();
    ASSERT_EQ(info->closed_sessions, session - 1);
    ASSERT_TRUE(info->next_session_start.has_value());
    ASSERT_EQ(info->next_writable_address, info->next_session_start);
    const uint32_t start = *info->next_session_start;

    VolumeLayout layout;
    VolumeSpec spec;
    if (session == 1) {
      EXPECT_EQ(info->status, device::DiscStatus::kBlank);
      EXPECT_EQ(start, 0u);
      auto request = layout_request_for_profile(m.profile, info->free_blocks);
      ASSERT_TRUE(request.ok());
      request->max_files = 20;
      auto planned = plan_layout(*request);
      ASSERT_TRUE(planned.ok());
      layout = *planned;
      spec.label = "MULTI_2026";
      spec.created = kT0;
    } else {
      EXPECT_EQ(info->status, device::DiscStatus::kAppendable);
      EXPECT_EQ(info->last_closed_session_start, session_starts.back());
      EXPECT_GT(start, session_starts.back());
      // The previous session's volume, through the Drive: the disc ends at its
      // closing anchor (READ CAPACITY), its first anchor is at its start + 256.
      auto capacity = d.read_capacity();
      ASSERT_TRUE(capacity.ok()) << capacity.error().to_string();
      DriveSectorSource source(d, capacity->last_lba + 1);
      auto previous = read_volume_at(source, info->last_closed_session_start);
      ASSERT_TRUE(previous.ok()) << previous.error().to_string();
      EXPECT_EQ(previous->anchor_lba, info->last_closed_session_start + kAnchorLba);
      auto plan = plan_next_session(*previous, {start, info->free_blocks, unit, 20});
      ASSERT_TRUE(plan.ok()) << plan.error().to_string();
      layout = plan->layout;
      spec = plan->spec;
      EXPECT_EQ(spec.label, "MULTI_2026");
      EXPECT_EQ(spec.created, kT0);
      EXPECT_EQ(names_of(spec.files), names_of(all));
    }
    session_starts.push_back(start);

    // Prepare: the session's metadata track, then its data track at data_start.
    ASSERT_EQ(layout.session_start, start);
    auto reserved = d.reserve_track_if_supported(layout.data_start - start);
    ASSERT_TRUE(reserved.ok() && *reserved) << (reserved.ok() ? "no RESERVE TRACK" : reserved.error().to_string());
    auto track = d.read_track_information(0xFF);
    ASSERT_TRUE(track.ok());
    ASSERT_EQ(track->start_lba, layout.data_start);
    // A session begun (its metadata track reserved) still starts where it did.
    auto during = d.read_sessions(*caps);
    ASSERT_TRUE(during.ok()) << during.error().to_string();
    EXPECT_TRUE(during->open_session_in_use);
    EXPECT_EQ(during->closed_sessions, session - 1);
    EXPECT_EQ(during->next_session_start, start);
    EXPECT_EQ(during->next_writable_address, layout.data_start);
    if (session > 1) {
      EXPECT_EQ(during->last_closed_session_start, session_starts[session - 2]);
    }

    // Record: two recordings per session.
    uint32_t lba = layout.data_start;
    for (uint32_t sectors : {2u * unit, 3u * unit}) {
      const TimePoint at = kT0 + std::chrono::hours(session) + std::chrono::minutes(sectors);
      FileSpec f{recording_file_name(at, "s" + std::to_string(session) + "r" + std::to_string(sectors), "cam"),
                 uint64_t{sectors} * kSectorSize - 188, at, at + std::chrono::minutes(1), {{lba, sectors}}};
      std::vector<uint8_t> data(size_t{sectors} * kSectorSize);
      for (uint32_t i = 0; i < sectors; ++i) testing::fill_pattern(lba + i, &data[size_t{i} * kSectorSize]);
      ASSERT_TRUE(write_all(d, {lba, data}).ok());
      lba += sectors;
      spec.files.push_back(f);
      all.push_back(f);
    }

    // Finalize --no-close: the volume, then close the session only.
    auto nwa = d.next_writable_address_at(layout.data_start);
    ASSERT_TRUE(nwa.ok() && nwa->has_value());
    spec.data_end = **nwa;
    spec.finalized = kT0 + std::chrono::hours(session) + std::chrono::minutes(30);
    auto writes = build_volume(layout, spec);
    ASSERT_TRUE(writes.ok()) << writes.error().to_string();
    ASSERT_EQ(writes->size(), 2u);
    EXPECT_EQ(writes->front().lba, start);
    for (const SectorWrite& w : *writes) {
      Status st = write_all(d, w);
      ASSERT_TRUE(st.ok()) << "write at " << w.lba << ": " << st.error().to_string();
    }
    ASSERT_TRUE(d.synchronize_cache().ok());
    ASSERT_TRUE(d.close_for_finalize(*caps, /*close_disc=*/false).ok());
    auto closed = d.read_sessions(*caps);
    ASSERT_TRUE(closed.ok());
    EXPECT_EQ(closed->status, device::DiscStatus::kAppendable);
    EXPECT_EQ(closed->closed_sessions, session);
    EXPECT_EQ(closed->last_closed_session_start, start);
    ASSERT_TRUE(closed->next_session_start.has_value());

    // discrec reads the last session through the Drive: every recording.
    const uint32_t n = writes->back().lba + static_cast<uint32_t>(writes->back().bytes.size() / kSectorSize);
    auto capacity = d.read_capacity();
    ASSERT_TRUE(capacity.ok());
    EXPECT_EQ(capacity->last_lba + 1, n);
    {
      DriveSectorSource source(d, n);
      auto volume = read_volume_at(source, start);
      ASSERT_TRUE(volume.ok()) << volume.error().to_string();
      EXPECT_TRUE(check_recordings(*volume, spec).ok());
      EXPECT_EQ(volume->label, "MULTI_2026");
      EXPECT_EQ(volume->partition_start, kPartitionStart);
      auto files = recordings_from(*volume);
      ASSERT_TRUE(files.ok());
      EXPECT_EQ(names_of(*files), names_of(all));
      for (const ParsedFile& pf : volume->files) {
        if (pf.directory) continue;
        const FileSpec* expected = nullptr;
        for (const FileSpec& f : all)
          if (pf.path == "/DISCREC/" + f.name) expected = &f;
        ASSERT_NE(expected, nullptr) << pf.path;
        std::vector<uint8_t> bytes(pf.size);
        ASSERT_TRUE(read_file_bytes(source, pf, 0, bytes).ok());
        EXPECT_TRUE(bytes == testing::expected_bytes(*expected, 0, bytes.size())) << pf.path;
      }
      // read_volume (anchor at 256 first) still sees the first session only.
      auto first = read_volume(source);
      ASSERT_TRUE(first.ok());
      EXPECT_EQ(first->anchor_lba, kAnchorLba);
      EXPECT_EQ(first->files.size(), 1u + 2u) << "/DISCREC and session 1's two recordings";
    }
    drive->reset();  // the image file is complete once the drive is gone

    // The external readers on the image (a plain disc image: LBA n at n*2048).
    const std::set<std::string> first_session = names_of({all.begin(), all.begin() + 2});
    {  // libudfread: the anchor at 256 first; sees session 1.
      auto listing = run(std::string(UDFREAD_CHECK) + " " + quote(image));
      EXPECT_EQ(listing.status, 0) << listing.output;
      EXPECT_EQ(names_in(listing.output, all), first_session) << listing.output;
      for (const FileSpec& f : all) {
        if (!first_session.count(f.name)) continue;
        auto bytes = run(std::string(UDFREAD_CHECK) + " " + quote(image) + " /DISCREC/" + f.name + " 0 " +
                         std::to_string(f.size));
        EXPECT_EQ(bytes.status, 0);
        EXPECT_TRUE(std::vector<uint8_t>(bytes.output.begin(), bytes.output.end()) ==
                    testing::expected_bytes(f, 0, f.size))
            << "libudfread read other bytes for " << f.name;
      }
    }
    {  // udfinfo: by default the volume at 256 (session 1), warning from
       // session 2 on that the anchor at N points elsewhere; --startblock=S
       // reads the session at S, warning that the partition (reaching back
       // to session 1) overlaps the later sessions' descriptors.
      const bool later = session > 1;
      const UdfInfo info = udfinfo(quote(image));
      EXPECT_EQ(info.status, 0) << info.report << info.warnings;
      EXPECT_EQ(value_of(info.report, "label"), "MULTI_2026") << info.report;
      EXPECT_EQ(value_of(info.report, "numfiles"), "2") << info.report;
      EXPECT_EQ(info.warnings.find("First and third Anchor Volume Descriptor Pointer contain different location") !=
                    std::string::npos,
                later)
          << info.warnings;
      const UdfInfo last = udfinfo("--startblock=" + std::to_string(start) + " " + quote(image));
      EXPECT_EQ(last.status, 0) << last.report << last.warnings;
      EXPECT_EQ(value_of(last.report, "label"), "MULTI_2026") << last.report;
      EXPECT_EQ(value_of(last.report, "numfiles"), std::to_string(all.size())) << last.report;
      EXPECT_EQ(value_of(last.report, "startblock"), later ? std::to_string(start) : "") << last.report;
      EXPECT_EQ(value_of(last.report, "fullvsid"), value_of(info.report, "fullvsid")) << last.report;
      EXPECT_EQ(value_of(last.report, "integrity"), "closed") << last.report;
      EXPECT_EQ(last.warnings.find("Partition Space overlaps with other blocks") != std::string::npos, later)
          << last.warnings;
      EXPECT_EQ(last.warnings.find("Error"), std::string::npos) << last.warnings;
    }
    {  // 7-Zip: lists and extracts what the anchor at 256 describes.
      auto list = run("7zz l " + quote(image));
      EXPECT_EQ(list.status, 0) << list.output;
      EXPECT_EQ(names_in(list.output, all), first_session) << list.output;
      // From session 2 on, it sizes the archive by session 1's volume.
      EXPECT_EQ(list.output.find("There are data after the end of archive") != std::string::npos, session > 1)
          << list.output;
      const auto out = dir.path() / ("7z-" + std::to_string(session));
      auto x = run("7zz x -y -o" + quote(out) + " " + quote(image));
      EXPECT_EQ(x.status, 0) << x.output;
      for (const FileSpec& f : all) {
        if (!first_session.count(f.name)) continue;
        EXPECT_TRUE(testing::read_whole_file(out / "DISCREC" / f.name) == testing::expected_bytes(f, 0, f.size))
            << "7-Zip extracted other bytes for " << f.name;
      }
    }

    auto reopened = device::Drive::open("sim://" + image.string() + "?profile=" + m.uri_profile +
                                        "&timing=off&blocks=200000");
    ASSERT_TRUE(reopened.ok()) << reopened.error().to_string();
    drive = std::move(reopened);
    caps = (*drive)->probe();
    ASSERT_TRUE(caps.ok());
  }
  EXPECT_EQ(all.size(), 6u);

  // For the Linux kernel's reader in the QEMU guest (run_guest_multisession.sh):
  // the image, where its sessions start, and what each recording holds.
  if (const char* keep = std::getenv("DISCREC_MULTISESSION_KEEP")) {
    drive->reset();
    const std::filesystem::path out = std::filesystem::path(keep) / m.uri_profile;
    std::filesystem::create_directories(out / "expected");
    std::filesystem::copy_file(image, out / "disc.img", std::filesystem::copy_options::overwrite_existing);
    std::ofstream sessions(out / "sessions");
    for (uint32_t s : session_starts) sessions << s << "\n";
    for (const FileSpec& f : all) {
      const std::vector<uint8_t> bytes = testing::expected_bytes(f, 0, f.size);
      std::ofstream(out / "expected" / f.name, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Media, MultisessionOnSimDrive,
                         ::testing::Values(Medium{"bd-r", 0x0041}, Medium{"dvd+r", 0x001B},
                                           Medium{"dvd-r", 0x0011}),
                         [](const auto& info) {
                           std::string name;
                           for (const char* c = info.param.uri_profile; *c; ++c) {
                             name += *c == '+' ? std::string("plus")
                                     : std::isalnum(static_cast<unsigned char>(*c)) ? std::string(1, *c)
                                                                                     : std::string("_");
                           }
                           return name;
                         });

}  // namespace
}  // namespace discrec::recorder::udf
