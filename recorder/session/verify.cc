// DriveSession: verify, reading the disc back in one pass against the
// checksums of what was written.
#include <algorithm>

#include "recorder/session/crc32c.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"
#include "recorder/udf/drive_sector_source.h"
#include "recorder/udf/volume_reader.h"

namespace discrec::recorder {
namespace {

constexpr uint32_t kVerifyReadUnits = 16;  // units per READ(12) when verifying

}  // namespace

Result<DiscOperationResult> DriveSession::verify(const ProgressCallback& progress, CallDeadline deadline) {
  return run<DiscOperationResult>(DiscRequest::kVerify, "verify the disc", deadline,
                                  [this](const ProgressCallback& report) -> Result<DiscOperationResult> {
    on_commands_.assert_on();
    auto result = verify_now(report);
    settle(machine_.settled());
    catalog_verified(result);
    return result;
  }, progress);
}

Result<DiscOperationResult> DriveSession::verify_now(const ProgressCallback& progress) {
  RETURN_IF_ERROR(require_drive());
  for (auto& [id, entry] : recordings_)
    if (!entry->ended())
      return Error(ErrorCode::kFailedPrecondition, "recording " + id + " is still running; stop it before verify");
  if (!writing_ && recovered_files_.empty())
    return Error(ErrorCode::kFailedPrecondition,
                 "no checksums for the disc in drive " + spec_.id + ": verify compares with what was written to it");
  const uint32_t unit = caps_ ? caps_->ecc_unit_blocks : 16;
  const uint32_t block_size = caps_ ? caps_->block_size : 2048;
  const bool streaming = caps_ && caps_->rt_streaming.current;
  DiscOperationResult result;
  // The extents are the journal's: what the writer closed since its last
  // sync goes there first (after a finalize the journal has it all).
  if (journal_ && machine_.settled() == DiscState::kRecording) {
    if (Status synced = journal_->sync(); !synced.ok())
      return std::move(synced).error().with_context(
          "bringing the crash journal, which lists the disc's extents, up to date");
  }
  ASSIGN_OR_RETURN(auto files, disc_files());
  // Every recorded extent of every file, in LBA order: the disc is read in
  // one pass, each run of contiguous extents in large reads whatever file
  // they belong to, instead of file by file with a seek at nearly every
  // extent of interleaved recordings. Each unit is checked against the
  // checksum of what its own recording wrote there.
  struct Piece {
    uint32_t lba;
    uint32_t blocks;
    uint64_t file_offset;
    size_t file;
  };
  std::vector<Piece> pieces;
  uint64_t total_blocks = 0, done_blocks = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    result.lost_extents += lost_on_disc(files[i].extents);
    for (const auto& r : files[i].extents.recorded) {
      pieces.push_back({r.lba, r.blocks, r.file_offset, i});
      total_blocks += r.blocks;
    }
  }
  std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.lba < b.lba; });
  std::vector<uint8_t> buffer(size_t{kVerifyReadUnits} * unit * block_size);
  for (size_t p = 0; p < pieces.size();) {
    size_t run_end_piece = p + 1;
    while (run_end_piece < pieces.size() &&
           pieces[run_end_piece].lba == pieces[run_end_piece - 1].lba + pieces[run_end_piece - 1].blocks)
      ++run_end_piece;
    const uint32_t run_end = pieces[run_end_piece - 1].lba + pieces[run_end_piece - 1].blocks;
    size_t q = p;  // the piece holding the unit being checked
    for (uint32_t lba = pieces[p].lba; lba < run_end;) {
      // Reading back a whole disc takes as long as writing it did.
      if (shutting_down_.load(std::memory_order_acquire))
        return Error(ErrorCode::kAborted, "verify of drive " + spec_.id + " stopped: the daemon is stopping");
      uint32_t n = std::min<uint32_t>(kVerifyReadUnits * unit, run_end - lba);
      auto read = drive_->read12(lba, std::span(buffer).first(size_t{n} * block_size), streaming);
      for (uint32_t u = 0; u < n; u += unit) {
        const uint32_t at = lba + u;
        while (at >= pieces[q].lba + pieces[q].blocks) ++q;
        auto expected = crc_for_verify(at);
        bool ok = read.ok() && expected.ok() && expected->has_value() &&
                  **expected == crc32c(std::span(buffer).subspan(size_t{u} * block_size,
                                                                 size_t{std::min(unit, n - u)} * block_size));
        if (ok) continue;
        const std::string& recording_id = files[pieces[q].file].id;
        uint64_t offset = pieces[q].file_offset + uint64_t{at - pieces[q].lba} * block_size;
        auto& m = result.mismatches;
        if (!m.empty() && m.back().recording_id == recording_id && m.back().first_lba + m.back().block_count == at)
          m.back().block_count += unit;
        else
          m.push_back({recording_id, at, unit, offset});
      }
      result.bytes += uint64_t{n} * block_size;
      lba += n;
      done_blocks += n;
      progress({0.9 * static_cast<double>(done_blocks) / static_cast<double>(std::max<uint64_t>(total_blocks, 1)),
                "reading back"});
    }
    p = run_end_piece;
  }
  // The file system must list every recording, as a reader would see it.
  std::string fs_note;
  if (machine_.settled() == DiscState::kFinalized) {
    progress({0.95, "reading the file system"});
    udf::DriveSectorSource source(*drive_, 0);
    // A write-once disc in sessions: its last closed session lists them all.
    uint32_t session = 0;
    if (caps_ && caps_->sequential())
      if (auto sessions = drive_->read_sessions(*caps_); sessions.ok()) session = sessions->last_closed_session_start;
    auto volume = udf::read_volume_at(source, session);
    if (!volume.ok()) return std::move(volume).error().with_context("the disc's UDF file system does not read back");
    for (const auto& f : volume->files) result.files += !f.directory;
    fs_note = ", UDF lists " + std::to_string(result.files) + " file(s)";
  }
  result.image_path = image_path();
  result.summary = std::to_string(result.bytes) + " bytes read back, " + std::to_string(result.mismatches.size()) +
                   " mismatch(es), " + std::to_string(result.lost_extents) + " known lost extent(s)" + fs_note;
  progress({1.0, "done"});
  return result;
}

}  // namespace discrec::recorder
