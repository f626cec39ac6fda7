// ExtentJournal: what a disc's writer and its recordings' rings closed,
// turned into crash-journal records, each once.
//
// The writer hands out every closed extent once
// (StreamingWriter::drain_extents()), and each ring the ranges it turned
// away once (Recording::take_overflows()); from then on the journal file is
// the only complete account of the disc, which finalize and verify replay
// (journal::load_journal()). What stays in memory is bounded by the number
// of recordings, not by what they recorded: per recording, the open extent
// as last logged and how far its units' checksums are, and the most recent
// lost extents and shed ranges (kListed of each) for listings. Records a
// failed append did not write are kept and written by the next append: the
// journal has a gap only while it cannot be written, which the session
// reports.
//
// Once per journal interval (DriveSession::journal_sync_once()):
//   journal.collect(writer);       // what the drive acknowledged so far
//   target.flush();                // SYNCHRONIZE CACHE: now it is on the medium
//   journal.append_to(file);       // logs what collect() took, with checksums
// Only what was collected before a flush that succeeded is logged, so every
// extent in the journal is on the medium.
//
// Thread-safety: thread-safe (one mutex, never taken by the writer thread).
// collect() and append_to() are called by one thread at a time (the
// session serialises its syncs).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include "base/mutex.h"
#include <optional>
#include <vector>

#include "recorder/core/extents.h"
#include "recorder/core/recording.h"
#include "recorder/core/streaming_writer.h"
#include "recorder/journal/journal_file.h"
#include "recorder/session/checksum_target.h"

namespace discrec::recorder {

class ExtentJournal {
 public:
  // Lost extents, shed ranges and overflow ranges a listing keeps per
  // recording: the most recent ones (the statistics count them all, the
  // journal has them all).
  static constexpr size_t kListed = 256;
  // Cuts a listing to its most recent kListed entries.
  template <typename T>
  static void keep_listed(std::vector<T>& list) {
    if (list.size() > kListed) list.erase(list.begin(), list.end() - static_cast<std::ptrdiff_t>(kListed));
  }

  // `checksums` (the writer's target) must outlive this.
  explicit ExtentJournal(const ChecksumTarget& checksums);

  // The recording's begin is in the journal: its extents may follow. Before
  // that, what the writer hands out for it is held back.
  void begin_recording(std::shared_ptr<Recording> recording);

  // Takes what the writer and the begun recordings' rings closed since the
  // last call, and their open extents (see the file comment).
  void collect(StreamingWriter& writer);
  // Logs what collect() took (after a flush that succeeded), with the
  // checksums of the units of its recorded extents. On failure the records
  // are kept for the next call.
  Status append_to(journal::JournalFile& file);

  // What a snapshot of the recording lists: the most recent kListed lost
  // extents, shed ranges and overflow ranges, in order, up to what the
  // writer and the ring published now (including what was not collected
  // yet); `origin`: when its first recorded extent began (TimePoint{} before).
  struct Listing {
    std::vector<LostExtent> lost;
    std::vector<ShedRange> shed;
    std::vector<OverflowRange> overflows;
    TimePoint origin{};
  };
  Listing listing(const StreamingWriter& writer, const Recording& recording) const;

  // Heap bytes held (an estimate that counts what grows: lists and records).
  size_t bookkeeping_bytes() const;

 private:
  struct Tracked {
    std::shared_ptr<Recording> recording;  // null until begun
    // Collected, not logged yet: closed extents (indices in first_*), the
    // open extent and its index, and overflow ranges from their index.
    RecordingExtents collected;
    std::optional<RecordedExtent> collected_open;
    uint64_t collected_open_index = 0;
    std::vector<OverflowRange> collected_overflows;
    uint64_t collected_overflows_first = 0;
    // As logged: the last open extent, the extent whose units' checksums
    // are logged up to crc_blocks, the last overflow range.
    std::optional<RecordedExtent> logged_open;
    uint64_t logged_open_index = 0;
    uint64_t crc_index = UINT64_MAX;
    uint32_t crc_blocks = 0;
    std::optional<OverflowRange> logged_overflow;
    uint64_t logged_overflow_index = 0;
    // For listings: the most recent of what was collected, and how many
    // there were (the index of the next).
    std::deque<LostExtent> recent_lost;
    uint64_t lost_count = 0;
    std::deque<ShedRange> recent_shed;
    uint64_t shed_count = 0;
    std::deque<OverflowRange> recent_overflows;  // closed ones only
    uint64_t closed_overflows = 0;
    std::optional<TimePoint> origin;
  };

  void take(Tracked& t, RecordingExtents&& drained) REQUIRES(mutex_);
  void take_overflows(Tracked& t) REQUIRES(mutex_);
  void encode(RecordingId id, Tracked& t) REQUIRES(mutex_);
  void encode_crcs(Tracked& t, uint64_t index, const RecordedExtent& x) REQUIRES(mutex_);

  const ChecksumTarget& checksums_;
  // Never taken by the writer thread.
  mutable Mutex mutex_;
  std::map<RecordingId, Tracked> tracked_ GUARDED_BY(mutex_);
  std::vector<RecordingExtents> drained_ GUARDED_BY(mutex_);  // scratch, keeps its capacity
  std::vector<std::vector<uint8_t>> unwritten_ GUARDED_BY(mutex_);  // encoded, not appended yet
};

}  // namespace discrec::recorder
