// StreamingWriter: one per drive. Takes the bytes of every recording on the
// drive from their rings in earliest-deadline-first order and writes them
// with WRITE(12) Streaming, in whole ECC units, several units per command
// when that many are buffered. See extents.h for how the disc is allocated.
//
// Policies:
//  - EDF: among recordings with at least one whole ECC unit buffered (or,
//    once stopped, any bytes), the one whose oldest unwritten chunk has the
//    earliest deadline is written next, up to max_units_per_command units,
//    straight from ring memory when the bytes are contiguous there.
//  - Stop: the last unit is padded with MPEG-TS null packets, so every
//    recording's file is a whole number of units and still a valid TS.
//  - Overload: when a ring passes shed_fill_fraction or the total backlog
//    would take longer than shed_backlog_fraction of the smallest latency
//    budget to write (at the guaranteed speed, or at the measured one when
//    the drive delivers less), one whole GOP (from a GOP-start chunk up to the next)
//    of the lowest-priority recording that has data is dropped, then the
//    check repeats. A GOP the writer has already started writing is never
//    shed; the shed starts at that recording's next GOP start.
//  - Write errors: a failed streaming WRITE(12) is not retried; its blocks
//    become a LostExtent and writing goes on after them. After
//    max_consecutive_write_errors failures in a row (or a full disc) the
//    writer stops writing and reports failure(); what the rings still hold
//    is then counted lost (blocks 0), so every byte taken in stays counted.
//  - Drive states: a write refused by the drive's state rather than its
//    medium (NOT READY 2/04/xx, UNIT ATTENTION, BUSY, a reset or a dropped
//    connection) loses nothing. The command is held (its bytes out of the
//    ring, in staging) and the writer pauses: the rings absorb what arrives,
//    shedding whole GOPs as under overload; it polls the drive with a
//    bounded backoff, re-reads the next writable address and writes the
//    held command where the drive is, then goes on. A drive that is another
//    medium, or whose address moved back or beyond what the held command
//    could explain, fails the writer rather than be written over; so does a
//    pause longer than WriterOptions::max_pause.
//
// Driving it: either a test loop calls service_once() with a SimulatedClock
// (deterministic), or start() runs the same function on its own thread with
// a real clock. Control methods (add_recording, stop_recording, stats,
// extents, drain_extents) may be called from any thread: they post commands under a
// control-side mutex that the writer only ever try_locks, and read
// snapshots the writer publishes (seqlock) or copies under a mutex the
// writer only try_locks. The writer never waits for a control thread.
//
// Allocation: the writer thread allocates nothing (a write error's message
// aside) while a consumer drains the extents (the session's journal sync).
// Closed extents wait in per-recording queues allocated with the recording
// (WriterOptions::extent_queue) and are handed over into lists whose room
// the readers keep (drain_extents(), extents()). When the lists are full or
// locked, they wait for the next publish (DriveStats::journal_queue_full);
// when the queues cannot take what one more command may close, that
// recording is not written until they can (journal_queue_waits: its ring
// absorbs meanwhile); nothing closed is ever dropped. Without any consumer
// (tests, tools) the writer grows the lists itself once its queues are half
// full (journal_queue_grown), so it never stalls for want of a reader.
//
// Thread-safety: thread-safe as described; service_once() is called by one
// thread at a time (the writer thread, or the test loop when not started).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/result.h"
#include "recorder/core/admission.h"
#include "recorder/core/block_target.h"
#include "recorder/core/extents.h"
#include "recorder/core/recording.h"
#include "recorder/core/seqlock.h"

namespace discrec::recorder {

struct WriterOptions {
  uint32_t block_size = 2048;
  uint32_t ecc_unit_blocks = 16;         // DriveCapabilities::ecc_unit_blocks
  uint32_t start_lba = 0;                // first block the writer may use
  uint32_t end_lba = UINT32_MAX;         // one past the last usable block
  uint64_t guaranteed_bytes_per_second = 0;  // what the drive took; admission's capacity
  double admission_margin = 0.10;
  uint32_t max_units_per_command = 8;
  double shed_fill_fraction = 0.75;
  double shed_backlog_fraction = 0.75;
  uint32_t max_consecutive_write_errors = 16;
  Nanos idle_poll = std::chrono::milliseconds(5);  // sleep when nothing is writable
  size_t max_recordings = 64;
  // Striping (0: off, every whole unit is written as soon as it is
  // buffered). Interleaved streams written unit by unit leave every file in
  // thousands of extents: reading one back seeks at every extent, and 7-Zip
  // refuses files of more than ~229. With striping a recording's data waits
  // in its ring until it holds `stripe_bytes` or its oldest byte has waited
  // `stripe_wait_fraction` of its latency budget (or it stops, or its ring
  // is half full); then it is written in one run of commands, up to
  // `stripe_bytes`, that other recordings interrupt only when their own
  // deadline is near. The rest of the budget is the writer's to meet every
  // deadline through the drive's stalls (the 90% scenario's 1.2 s stall in
  // a 2 s budget passes at 0.25, misses at 0.5): a recording given a longer
  // budget gets longer stripes.
  size_t stripe_bytes = 0;
  double stripe_wait_fraction = 0.25;
  // A write the drive's state refused (device::classify_failure(): not
  // ready, unit attention, reset, dropped connection) pauses the writer: it
  // asks the drive where it is (BlockTarget::position()) first after
  // pause_poll_min, then at intervals doubling up to pause_poll_max, and
  // fails once the drive has not taken a write for max_pause.
  Nanos pause_poll_min = std::chrono::milliseconds(20);
  Nanos pause_poll_max = std::chrono::milliseconds(500);
  Nanos max_pause = std::chrono::seconds(30);
  // The medium's profile when writing began (0 = unknown): another one after
  // a pause means another disc, which the writer must not write on.
  uint16_t profile = 0;
  // Ids of this writer's recordings start here: a disc continued after a
  // restart already has recordings numbered by an earlier writer, and its
  // journal tells them apart by id.
  RecordingId first_recording_id = 1;
  // Closed extents (and lost extents, and shed ranges) per recording that
  // the writer can hold between hand-overs to drain_extents()'s consumer,
  // and the room that consumer's lists keep: both allocated when the
  // recording is added, so the writer thread never allocates for them.
  // See DriveStats::journal_queue_* for what happens when they are full.
  size_t extent_queue = 256;
};

class StreamingWriter {
 public:
  // `target` and `clock` must outlive the writer. Use DriveBlockTarget for a
  // device::Drive; prepare_for_writing() (prepare.h) fills the options.
  StreamingWriter(BlockTarget& target, Clock& clock, WriterOptions options);
  ~StreamingWriter();  // stops the thread if running
  StreamingWriter(const StreamingWriter&) = delete;
  StreamingWriter& operator=(const StreamingWriter&) = delete;

  // --- control side, any thread ---
  // Admission control, then the ring is allocated and the recording joins
  // the schedule. kResourceExhausted when the bitrate does not fit (the
  // message names requested/admitted/available Mbit/s).
  Result<std::shared_ptr<Recording>> add_recording(RecordingConfig config);
  // Producer pushes fail with kAborted from now on; the writer writes what
  // is buffered, pads the last unit and marks the recording finished().
  Status stop_recording(RecordingId id);
  DriveStats stats() const { return drive_stats_.read(); }
  // Extents published and not yet drained (all recordings, or one): the
  // whole lists unless drain_extents() is used. The last recorded extent of
  // a running recording may still grow (RecordingExtents::last_recorded_open).
  std::vector<RecordingExtents> extents() const;
  Result<RecordingExtents> extents(RecordingId id) const;
  // Hands the extents closed since the last call to a consumer that keeps
  // them elsewhere (the session's crash journal), once: appended to `out`,
  // one entry per recording with anything new, indices in first_*; each
  // running recording's open extent comes too, every time, as the last of
  // `recorded`. From then on the writer keeps only what is not drained yet,
  // so its memory does not grow with what it records. One consumer.
  void drain_extents(std::vector<RecordingExtents>& out);
  // Heap bytes the writer holds for extents published and not drained.
  size_t bookkeeping_bytes() const;
  std::optional<Error> failure() const;
  const WriterOptions& options() const { return options_; }
  // The largest command: every ring must hold one.
  size_t max_command_bytes() const { return max_command_bytes_; }

  // --- writer side ---
  // Does at most one WRITE(12) (plus bookkeeping) and returns when it wants
  // to be called again: now (more to do) or now + idle_poll.
  TimePoint service_once() EXCLUDES(control_mutex_, published_mutex_);
  // Runs service_once() on a thread, sleeping with the clock in between.
  Status start();
  // Stops and joins the thread (buffered data stays in the rings).
  void stop();
  // Whether the writer thread runs (between start() and stop()). A stopped
  // writer takes no new recording: one added would never drain.
  bool running() const { return thread_.joinable(); }
  // Moves the running writer thread to SCHED_FIFO at `priority` (1..99).
  // kPermissionDenied when the process may not (no CAP_SYS_NICE and
  // RLIMIT_RTPRIO below `priority`); the thread then keeps its policy.
  Status set_realtime_priority(int priority);
  // Names the writer thread (at most 15 bytes are kept) for ps/top/gdb.
  void set_thread_name(const std::string& name);

 private:
  struct Command {
    enum Kind { kAdd, kStop } kind;
    std::shared_ptr<Recording> recording;
  };

  void apply_commands() REQUIRES(writer_thread_);
  // No GOP of r is being or is to be shed (the fast paths' condition).
  static bool nothing_to_shed(const Recording& r);
  // Drops whole chunks of GOPs being shed from the head of r's ring.
  void discard_head(Recording& r) REQUIRES(writer_thread_);
  void discard_shed_head(Recording& r) REQUIRES(writer_thread_);
  // Takes the GOPs r's producer cut short (ring overflow) into the shed state.
  void collect_truncated_gops(Recording& r) REQUIRES(writer_thread_);
  void update_shedding() REQUIRES(writer_thread_);
  // Sheds every GOP that has begun in the ring of r, over its declaration.
  void shed_liar(Recording& r) REQUIRES(writer_thread_);
  // Payload bytes writable from `r` now, counting at most `limit`.
  // `shed_closures`: shed ranges the walk would close (pending_shed entries).
  size_t writable_bytes(const Recording& r, size_t limit, bool* shed_behind = nullptr,
                        size_t* shed_closures = nullptr) const REQUIRES(writer_thread_);
  // Whether r's queues of closed extents have room for what one command
  // (with its failure) may add; counts a wait when not.
  bool extent_room(Recording& r, size_t shed_closures) REQUIRES(writer_thread_);
  bool flushable(const Recording& r) const REQUIRES(writer_thread_);
  // With striping: whether r's data may be written now (see WriterOptions),
  // and whether its deadline is near enough to interrupt another's stripe.
  bool stripe_due(const Recording& r, size_t writable, TimePoint now) const REQUIRES(writer_thread_);
  bool deadline_near(const Recording& r, TimePoint now) const REQUIRES(writer_thread_);
  void publish_last_record(Recording& r) REQUIRES(writer_thread_);
  void record_slack(Recording::WriterState& w, Nanos slack) REQUIRES(writer_thread_);
  // What one WRITE(12) carries, for its bookkeeping once the drive answered.
  struct IssuedCommand {
    uint32_t lba = 0;
    uint32_t blocks = 0;
    size_t command_bytes = 0;
    size_t copied = 0;   // payload bytes
    size_t padding = 0;  // null packets after them
    uint64_t input_begin = 0;
    uint64_t input_end = 0;
    TimePoint time_begin{};
    TimePoint time_end{};
  };
  void write_command(Recording& r, size_t payload) REQUIRES(writer_thread_);
  // Extents, stats and the next address once the drive answered `c`. The
  // records the command completed: `in_place` from `first_record` (still in
  // the ring) and completed_deadlines_.
  void complete_command(Recording& r, const IssuedCommand& c, const Status& status, TimePoint done,
                        uint64_t first_record, size_t in_place) REQUIRES(writer_thread_);
  // Paused (held_ set): polls the drive when due and writes the held
  // command where it is once it is ready.
  void resume_when_ready() REQUIRES(writer_thread_);
  // Holds `cmd` of `r` (its bytes already in staging_) and pauses the drive
  // for `cause`, a drive state that refused it or hid how much it took.
  void pause_holding(Recording& r, const IssuedCommand& cmd, const Error& cause, TimePoint now) REQUIRES(writer_thread_);
  // Reads the held command back from `lba` (the drive took it unanswered):
  // ok when it reads back as sent; kUnsupported when the target cannot read.
  Status read_back_held(uint32_t lba) REQUIRES(writer_thread_);
  // Whether `error` pauses the writer rather than losing the command.
  bool pauses_for(const Error& error) REQUIRES(writer_thread_);
  void back_off(TimePoint now, const Error& error) REQUIRES(writer_thread_);
  // The held command, never to be written: its input is lost (no blocks).
  void drop_held(const Error& error) REQUIRES(writer_thread_);
  void count_lost_input(Recording& r, uint64_t input_begin, uint64_t input_end, TimePoint time_begin,
                        TimePoint time_end, size_t bytes, const Error& error) REQUIRES(writer_thread_);
  void finish_if_done(Recording& r) REQUIRES(writer_thread_);
  void close_open_extent(Recording& r) REQUIRES(writer_thread_);
  void fail(Error error) REQUIRES(writer_thread_);
  void publish() REQUIRES(writer_thread_);
  void run();

  BlockTarget& target_;
  Clock& clock_;
  const WriterOptions options_;
  const size_t unit_bytes_;
  const size_t max_command_bytes_;

  // Control side.
  mutable Mutex control_mutex_;
  AdmissionControl admission_ GUARDED_BY(control_mutex_);
  RecordingId next_id_ GUARDED_BY(control_mutex_);
  std::vector<Command> commands_ GUARDED_BY(control_mutex_);
  std::map<RecordingId, std::shared_ptr<Recording>> all_ GUARDED_BY(control_mutex_);

  // Published to readers; the writer only try_locks. Per recording: the
  // closed extents not drained yet and the open extent. The writer appends
  // to the lists only within their capacity; readers (drain_extents(),
  // extents()) keep WriterOptions::extent_queue entries of room in them, so
  // the allocating is theirs. Mutable: a const reader makes room too.
  struct PublishedExtents {
    RecordingExtents closed;
    std::optional<RecordedExtent> open;
  };
  mutable Mutex published_mutex_;
  mutable std::map<RecordingId, PublishedExtents> published_ GUARDED_BY(published_mutex_);
  // Room for extent_queue more entries in each of e's lists (readers).
  void make_room(PublishedExtents& e) const REQUIRES(published_mutex_);
  std::optional<Error> published_failure_ GUARDED_BY(published_mutex_);
  Seqlock<DriveStats> drive_stats_;

  // Writer thread only: service_once()'s caller (the thread start() runs,
  // or a test loop), which it asserts.
  ThreadRole writer_thread_;
  std::vector<Command> applying_ GUARDED_BY(writer_thread_);
  std::vector<std::shared_ptr<Recording>> active_ GUARDED_BY(writer_thread_);
  std::vector<TimePoint> completed_deadlines_ GUARDED_BY(writer_thread_);  // scratch: chunks finished by one command
  std::vector<uint8_t> staging_ GUARDED_BY(writer_thread_);                // one command's data
  uint32_t next_lba_ GUARDED_BY(writer_thread_);
  double measured_rate_ GUARDED_BY(writer_thread_);  // bytes/s per command, EWMA; starts at the guaranteed speed
  uint32_t consecutive_errors_ GUARDED_BY(writer_thread_) = 0;
  // Paused: the command the drive's state refused, its bytes in staging_
  // and its completed records' deadlines in completed_deadlines_. Nothing
  // else is written before it, so neither is reused meanwhile.
  Recording* held_recording_ GUARDED_BY(writer_thread_) = nullptr;
  IssuedCommand held_ GUARDED_BY(writer_thread_);
  // Set when the held command failed (a write error, e.g. a timeout) and
  // the drive's state (a unit attention after the hang, not ready) hid how
  // much of it the drive took: it is not written again; once the drive
  // answers, complete_command() counts it lost with the blocks it took.
  std::optional<Error> held_failure_ GUARDED_BY(writer_thread_);
  std::vector<uint8_t> readback_ GUARDED_BY(writer_thread_);  // read_back_held()'s, allocated on first use
  std::optional<Error> pause_cause_ GUARDED_BY(writer_thread_);  // the last refusal, for messages
  TimePoint paused_since_ GUARDED_BY(writer_thread_){};
  TimePoint next_poll_ GUARDED_BY(writer_thread_){};
  Nanos poll_interval_ GUARDED_BY(writer_thread_){};
  bool medium_was_absent_ GUARDED_BY(writer_thread_) = false;  // during this pause
  bool failed_ GUARDED_BY(writer_thread_) = false;
  std::optional<Error> failure_ GUARDED_BY(writer_thread_);
  bool dirty_ GUARDED_BY(writer_thread_) = true;
  uint64_t finished_bytes_in_ GUARDED_BY(writer_thread_) = 0;
  SlackHistogram drive_slack_ GUARDED_BY(writer_thread_);
  DriveStats drive_ GUARDED_BY(writer_thread_);

  std::atomic<bool> quit_{false};
  std::thread thread_;
};

// Fills `out` (a multiple of 188 bytes) with MPEG-TS null packets
// (PID 0x1FFF): 0x47 0x1F 0xFF 0x10 then 184 x 0xFF.
void fill_ts_null_packets(std::span<uint8_t> out);

}  // namespace discrec::recorder
