// What a StreamingWriter reports about where each recording went: the
// extents on disc (what the UDF writer and the journal consume), the extents
// lost to write errors, the GOPs shed under overload, and statistics.
//
// Disc allocation (simple on purpose, valid for sequential media): the
// writer owns one write position per drive, starting at the first writable
// LBA it was given. Every WRITE(12) takes the next whole ECC units from there
// for ONE recording, so each command is a contiguous extent of one
// recording; consecutive commands for the same recording merge into one
// RecordedExtent. A recording's file is the concatenation of its extents in
// order (`file_offset`), lost extents included (UDF: "allocated, not
// recorded"); shed GOPs are not on disc and not in the file.
//
// Byte ranges called `input_*` count the bytes ingest pushed into the
// recording (TsSink::write_packets), from 0.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace discrec::recorder {

using RecordingId = uint32_t;

// Blocks [lba, lba + blocks) hold bytes [file_offset, file_offset + length)
// of the recording's file. Of these, input bytes [input_begin, input_end)
// minus any shed ranges in between are the payload. The extent the
// recording stopped in ends with `padding_bytes` of MPEG-TS null packets up
// to the end of its last ECC unit; an ECC unit (32768/65536 bytes) is not a
// multiple of 188, so `length` stops after the last WHOLE null packet and
// the file (the UDF information length) stays a valid TS. Elsewhere
// length == blocks * block_size.
struct RecordedExtent {
  RecordingId recording_id = 0;
  uint32_t lba = 0;
  uint32_t blocks = 0;
  uint64_t file_offset = 0;
  uint64_t input_begin = 0;
  uint64_t input_end = 0;
  uint64_t length = 0;
  uint32_t padding_bytes = 0;
  TimePoint time_begin{};  // arrival of the first payload byte's chunk
  TimePoint time_end{};    // arrival of the last payload byte's chunk
};

// A streaming WRITE(12) that failed. Its blocks are allocated to the
// recording (they are part of the file, unreadable) and writing went on
// after them; the command is never retried. On sequential media a command
// that timed out may leave the drive's write position where it was: then
// `blocks` counts only what the drive took (possibly 0 — the input range is
// lost without taking file or disc space) and writing resumed there. A
// writer that gave up (failure()) counts what its rings still held as lost
// extents of 0 blocks too. A write refused by the drive's state (not ready,
// unit attention, reset) is never a lost extent: it is written again.
struct LostExtent {
  RecordingId recording_id = 0;
  uint32_t lba = 0;
  uint32_t blocks = 0;
  uint64_t file_offset = 0;
  uint64_t input_begin = 0;
  uint64_t input_end = 0;
  TimePoint time_begin{};
  TimePoint time_end{};
  ErrorCode code = ErrorCode::kCheckCondition;
  SenseCode sense;  // zero when the failure carried no sense
  std::string message;
};

// One GOP (key frame up to the next key frame) dropped on purpose because the
// drive fell behind. Not on disc.
struct ShedRange {
  RecordingId recording_id = 0;
  uint64_t input_begin = 0;
  uint64_t input_end = 0;
  TimePoint time_begin{};  // arrival of its first chunk
  TimePoint time_end{};    // arrival of its last chunk
};

// Pushes dropped because the ring was full even after shedding (a hung
// drive): from one push to the next key frame that fits, so whole GOPs with
// the head of the GOP they cut, which the writer sheds.
struct OverflowRange {
  uint64_t input_position = 0;  // where in the ring's input the gap is
  uint64_t bytes = 0;
  uint32_t gops = 0;            // GOP starts among the dropped pushes
  TimePoint time_begin{};       // arrival of the first and last dropped push
  TimePoint time_end{};
  bool operator==(const OverflowRange&) const = default;
};

// What the writer recorded about one recording: each list from the index
// (in the recording's own list, numbered from 0) in `first_*` on. The
// indices are 0 (the whole lists) unless a consumer took the earlier
// entries with StreamingWriter::drain_extents().
struct RecordingExtents {
  RecordingId recording_id = 0;
  std::vector<RecordedExtent> recorded;
  std::vector<LostExtent> lost;
  std::vector<ShedRange> shed;
  uint64_t first_recorded = 0;
  uint64_t first_lost = 0;
  uint64_t first_shed = 0;
  // The last of `recorded` is still open: the recording's next command may
  // make it longer, and it is handed out again, with the same index, until
  // it is closed.
  bool last_recorded_open = false;
};

// Published by the writer, read by anyone (Recording::stats()).
struct RecordingStats {
  RecordingId id = 0;
  int32_t priority = 0;
  uint64_t bitrate_bps = 0;
  uint64_t bytes_in = 0;          // accepted into the ring
  uint64_t bytes_written = 0;     // payload bytes on disc (GOOD writes)
  uint64_t padding_bytes = 0;     // null-packet padding on disc
  uint64_t ring_capacity = 0;
  uint64_t ring_fill = 0;
  uint64_t ring_high_water = 0;
  bool ring_locked = false;       // mlock() took
  // Chunk records (a push, or small pushes of one GOP merged) and their
  // deadlines: a record's is its first push's.
  uint64_t chunks_written = 0;
  uint64_t missed_deadlines = 0;  // chunks whose last byte was written after their deadline
  int64_t slack_min_ns = 0;       // deadline - completion, over all chunks
  int64_t slack_p99_ns = 0;       // 99% of chunks had at least this slack
  uint64_t shed_gops = 0;
  uint64_t shed_bytes = 0;
  uint64_t overflow_bytes = 0;    // dropped by the producer because the ring was full
  uint64_t overflow_gops = 0;     // GOP starts among them
  // Over its declaration: pushed above bitrate_bps x (1 + admission margin)
  // for longer than its burst allowance (a latency budget's worth). Sticky:
  // from then on the writer sheds it before any recording that is not.
  bool over_rate = false;
  TimePoint over_rate_since{};    // arrival of the first push over it (when over_rate)
  uint64_t over_rate_bytes = 0;   // bytes accepted beyond declaration + burst
  uint64_t lost_extents = 0;
  uint64_t lost_bytes = 0;        // payload bytes in lost extents
  bool stopping = false;
  bool finished = false;          // stopped and everything written or lost
};

// Published by the writer for its drive.
struct DriveStats {
  uint64_t guaranteed_bytes_per_second = 0;
  uint64_t measured_bytes_per_second = 0;  // per WRITE(12), moving average
  uint64_t admitted_bitrate_bps = 0;
  uint32_t recordings = 0;
  uint64_t commands = 0;
  uint64_t blocks_written = 0;
  uint32_t next_lba = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_written = 0;
  uint64_t ring_fill = 0;         // all rings on the drive, at the last publish
  uint64_t ring_high_water = 0;   // the most ring_fill has been
  uint64_t missed_deadlines = 0;
  int64_t slack_min_ns = 0;
  int64_t slack_p99_ns = 0;
  uint64_t shed_gops = 0;
  uint64_t shed_bytes = 0;
  uint32_t over_rate_recordings = 0;  // running recordings over their declaration
  uint64_t write_errors = 0;
  uint64_t lost_extents = 0;
  // Pauses for the drive's state (not ready, unit attention, reset): how
  // many, and whether one is going on.
  uint64_t pauses = 0;
  bool paused = false;
  bool failed = false;            // the writer stopped writing (see failure())
  // The hand-over of closed extents to their consumer (the crash journal,
  // through StreamingWriter::drain_extents()), whose lists the writer fills
  // without allocating: how often a publish found them full or locked and
  // kept extents back for the next one (nothing is lost: they wait in the
  // writer's preallocated queues), how often a recording waited, unwritten,
  // because those queues were full too, and how often the writer had to
  // grow the lists itself (allocating) because no consumer made room.
  uint64_t journal_queue_full = 0;
  uint64_t journal_queue_waits = 0;
  uint64_t journal_queue_grown = 0;
};

}  // namespace discrec::recorder
