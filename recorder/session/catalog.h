// Catalog: which part of which recording is on which disc, kept across
// restarts. A recording is part 1 of itself unless a pool spreads it over
// discs (parts 1..n); each part has one record, replaced as the part moves
// on (recording, ended, finalizing, finalized, verified, or failed).
//
// The file is append-only, like the crash journal, and every put is durable
// before it returns:
//
//   file   = magic "DRCATLG1" | record*
//   record = u32 payload_length | u32 crc32c(payload) | payload
//   payload = u8 version | the part's fields (little-endian; strings are
//             u32 length + bytes); fields a later version adds go at the end
//
// The last record of a (recording, part) wins. A torn or corrupt record ends
// the file: open() keeps what precedes it and cuts the rest away (each record
// was fdatasync'd before the next, so nothing after it was acknowledged). A
// record longer than kMaxRecordBytes is corrupt whatever its checksum, so a
// hostile or broken length field cannot make open() allocate more than that.
// When superseded records outnumber the live ones, the file is rewritten
// (temporary file, fsync, rename, fsync of the directory): a crash leaves
// the old file or the new one, never a mix.
//
// At most CatalogLimits::max_parts parts are kept: beyond that the oldest
// (by start) settled ones (finalized, verified, failed) are dropped, then the
// oldest of any state, a hundredth of the limit at a time.
//
// Thread-safety: thread-safe. put() serializes on the file; parts() reads
// the in-memory table under its own short lock, so a reader never waits for
// a put's fdatasync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "recorder/session/types.h"

namespace discrec::recorder {

enum class CatalogState : uint8_t {
  kRecording = 1,
  kEnded = 2,       // the part's recording ended; its disc is still open
  kFinalizing = 3,  // its disc's file system is being written
  kFinalized = 4,
  kVerified = 5,    // its disc was finalized and read back without a mismatch in it
  kFailed = 6,      // see note
  kDeleted = 7,     // taken off its rewritable disc (`discrec delete`); its space is free again
};
// "recording", "ended", "finalizing", "finalized", "verified", "failed", "deleted".
const char* catalog_state_name(CatalogState state);

struct CatalogPart {
  std::string recording_id;  // the recording as clients know it
  uint32_t part = 1;         // 1-based
  std::string title;
  std::string pool;          // empty for a single-drive recording
  std::string drive_id;
  // The part's id on its drive and disc (GetRecording(drive_id, ...)); the
  // recording_id for a single-drive recording.
  std::string drive_recording_id;
  std::string disc;          // disc_name() of its disc, as events call it
  std::string volume_id;     // the UDF volume identifier, once written
  std::string label;         // the label finalize was asked for, once written
  std::optional<uint32_t> slot;  // the changer slot its disc went back to
  WallTime start;
  std::optional<WallTime> end;
  uint64_t bytes = 0;
  uint64_t lost_extents = 0;
  uint64_t lost_bytes = 0;
  CatalogState state = CatalogState::kRecording;
  std::string note;          // why it failed, what verify found, ...

  bool operator==(const CatalogPart&) const = default;
};

struct CatalogLimits {
  size_t max_parts = 100'000;
  // Rewrite the file once it holds this many records and more than twice as
  // many as there are parts.
  size_t compact_after_records = 4096;
};

class Catalog {
 public:
  static constexpr uint32_t kMaxRecordBytes = 64u << 10;
  // Strings longer than this are cut (at a UTF-8 character); a recording id
  // longer is refused.
  static constexpr size_t kMaxStringBytes = 4096;

  // Opens (creating it and making its directory entry durable) the catalog
  // at `path`. A torn or corrupt tail is cut away and said in repaired().
  // Errors: kIo, kMalformedResponse (the file is not a catalog: left alone).
  static Result<std::unique_ptr<Catalog>> open(const std::string& path, CatalogLimits limits = {});
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Inserts or replaces the part (recording_id, part); durable (fdatasync)
  // before it returns. Errors: kInvalidArgument (no recording id, part 0,
  // an id over kMaxStringBytes), kIo (nothing changed, in memory or on disk).
  Status put(const CatalogPart& part);
  // Sorted by (recording_id, part); every recording's with an empty id.
  // At most `max` of them from the `first` (a page: only those are copied).
  std::vector<CatalogPart> parts(std::string_view recording_id = {}, size_t first = 0,
                                 size_t max = SIZE_MAX) const;
  std::optional<CatalogPart> find(std::string_view recording_id, uint32_t part) const;

  // What open() cut away ("" when the file was whole).
  const std::string& repaired() const { return repaired_; }
  const std::string& path() const { return path_; }
  // Records in the file (superseded ones included) and rewrites so far.
  uint64_t records_in_file() const;
  uint64_t compactions() const;

 private:
  using Key = std::pair<std::string, uint32_t>;

  Catalog(std::string path, CatalogLimits limits) : path_(std::move(path)), limits_(limits) {}
  Status load();
  Status append(const std::vector<uint8_t>& record) REQUIRES(file_mutex_);
  // Rewrites the file with one record per part.
  Status compact() REQUIRES(file_mutex_);
  // Drops parts beyond limits_.max_parts; true if any went.
  bool trim() REQUIRES(parts_mutex_);

  const std::string path_;
  const CatalogLimits limits_;
  std::string repaired_;

  mutable Mutex file_mutex_ ACQUIRED_BEFORE(parts_mutex_);
  int fd_ GUARDED_BY(file_mutex_) = -1;
  uint64_t size_ GUARDED_BY(file_mutex_) = 0;  // end of the last whole record
  uint64_t records_ GUARDED_BY(file_mutex_) = 0;
  uint64_t compactions_ GUARDED_BY(file_mutex_) = 0;
  // A failed rewrite is tried again once the file holds this many records.
  uint64_t next_compaction_ GUARDED_BY(file_mutex_) = 0;

  mutable Mutex parts_mutex_;
  std::map<Key, CatalogPart> parts_ GUARDED_BY(parts_mutex_);
};

// The record of a part as the file holds it (framing included); exposed for
// the tests that damage files on purpose.
std::vector<uint8_t> encode_catalog_record(const CatalogPart& part);

}  // namespace discrec::recorder
