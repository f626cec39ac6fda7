// The crash journal: what a restarted daemon needs to finish a disc that a
// crash or power cut left open. One journal file per drive, append-only:
//
//   record  = u32 payload_length | u32 crc32(type, payload) | u8 type | payload
//   payload = little-endian fields; strings are u32 length + bytes
//
// Zero bytes after the last record are the file's preallocated space, not a
// record (type 0 does not exist), and end the journal cleanly.
// A torn or corrupt record ends the journal: everything before it is
// trusted (each record was fdatasync'd before the next), everything from it
// on is dropped. Records are idempotent where they repeat (an extent is
// re-logged with the same index as it grows), so replay is "last write wins".
//
// Thread-safety: pure functions and value types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/result.h"
#include "recorder/core/extents.h"

namespace discrec::recorder::journal {

enum class RecordType : uint8_t {
  kDiscBegin = 1,
  kRecordingBegin = 2,
  kRecordedExtent = 3,
  kLostExtent = 4,
  kShedRange = 5,
  kUnitCrcs = 6,
  kRecordingEnd = 7,
  kFinalizeBegin = 8,
  kFinalized = 9,
  kOverflowRange = 10,
  kAppendBase = 11,
};

// The disc and how discrec laid it out (enough to re-plan the same layout
// and to tell whether the disc now in the drive is the same one).
struct DiscBegin {
  std::string drive_uri;
  std::string vendor, product, revision;
  uint16_t profile = 0;
  bool sequential = false;
  uint32_t capacity_sectors = 0;   // the LayoutRequest's capacity
  uint32_t unit_blocks = 0;
  uint32_t block_size = 2048;
  uint32_t data_start = 0;
  uint32_t data_limit = 0;
  int64_t started_unix_ns = 0;
};

struct RecordingBegin {
  uint32_t writer_id = 0;
  std::string id, title, source_url;
  int32_t priority = 0;
  int64_t start_unix_ns = 0;
};

struct UnitCrcs {
  uint32_t first_lba = 0;
  uint32_t unit_blocks = 0;
  std::vector<uint32_t> crcs;  // one per unit from first_lba
  bool operator==(const UnitCrcs&) const = default;
};

// Unit checksums as a journal logged them, run by run: 4 bytes a unit (a
// whole BD's fit in 1.6 MB), not a tree node each.
class UnitCrcLog {
 public:
  void add(UnitCrcs run) {
    units_ += run.crcs.size();
    runs_.push_back(std::move(run));
  }
  const std::vector<UnitCrcs>& runs() const { return runs_; }
  // Units logged (one logged twice counts twice).
  size_t size() const { return units_; }
  bool empty() const { return units_ == 0; }
  // The CRC last logged for the unit at `lba`; std::out_of_range if none.
  uint32_t at(uint32_t lba) const;
  bool operator==(const UnitCrcLog&) const = default;

 private:
  std::vector<UnitCrcs> runs_;
  size_t units_ = 0;
};

struct RecordingEnd {
  uint32_t writer_id = 0;
  int64_t end_unix_ns = 0;
  std::string error;
};

// Written before the file system goes to disc, so a crash during finalize
// can rebuild exactly the same sectors and resume where the drive stopped.
struct FinalizeBegin {
  std::string volume_label;
  int64_t finalized_unix_ns = 0;
  uint32_t data_end = 0;
  bool close_disc = true;
  // Lost extents point at zeroed sectors (udf::LostExtentEncoding::kZeroFilled).
  // Absent from journals written before it existed: false.
  bool zero_fill_lost_extents = false;
};

// The disc already held a volume when its writer started (a rewritable disc
// appended to): finalize updates that volume instead of writing a new one.
// Right after the DiscBegin.
struct AppendBase {
  std::string volume_label;   // the live volume's, to tell it is still the same disc
  uint32_t files = 0;         // regular files it held
  // Write-once media: a new session. Its first LBA (0: a rewritable disc's
  // volume is updated instead), the last closed session's (where the volume
  // listing the earlier recordings is) and the partition's start.
  uint32_t session_start = 0;
  uint32_t previous_session_start = 0;
  uint32_t partition_start = 0;
};

// --- encoding ---
std::vector<uint8_t> encode(const DiscBegin& r);
std::vector<uint8_t> encode(const RecordingBegin& r);
std::vector<uint8_t> encode(uint32_t index, const RecordedExtent& r);
std::vector<uint8_t> encode(uint32_t index, const LostExtent& r);
std::vector<uint8_t> encode(uint32_t index, const ShedRange& r);
// What the recording's full ring turned away (Recording::overflows()); the
// last range grows while the ring stays full, so it is logged again by index.
std::vector<uint8_t> encode(uint32_t writer_id, uint32_t index, const OverflowRange& r);
std::vector<uint8_t> encode(const UnitCrcs& r);
std::vector<uint8_t> encode(const RecordingEnd& r);
std::vector<uint8_t> encode(const FinalizeBegin& r);
std::vector<uint8_t> encode(const AppendBase& r);
std::vector<uint8_t> encode_finalized(int64_t unix_ns);

// --- replay ---
struct JournalRecording {
  RecordingBegin begin;
  std::optional<RecordingEnd> end;
  std::vector<RecordedExtent> recorded;
  std::vector<LostExtent> lost;
  std::vector<ShedRange> shed;
  std::vector<OverflowRange> overflows;
};

struct JournalState {
  std::optional<DiscBegin> disc;
  std::map<uint32_t, JournalRecording> recordings;  // by writer id
  UnitCrcLog unit_crcs;
  std::optional<FinalizeBegin> finalize;
  std::optional<AppendBase> append;
  bool finalized = false;
  uint64_t valid_bytes = 0;    // length of the trusted prefix
  bool torn_tail = false;      // bytes after valid_bytes were dropped
  std::string tail_problem;    // why the tail was dropped
  uint64_t records = 0;
};

// Replays a journal. Never fails on a damaged tail (it is dropped and
// reported); fails with kMalformedResponse only when a record with a good
// checksum contradicts the journal (an extent for an unknown recording, a
// second disc begin) — a bug or a journal written by something else.
Result<JournalState> replay(std::span<const uint8_t> bytes);

}  // namespace discrec::recorder::journal
