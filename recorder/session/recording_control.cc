// DriveSession: starting the disc's writer, and starting and stopping
// recordings.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/file_io.h"
#include "recorder/journal/journal_format.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"
#include "recorder/session/segment_feed.h"

namespace discrec::recorder {

SourceFd::~SourceFd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<RecordingInfo> DriveSession::get_recording(const std::string& recording_id) const {
  return find_recording(*snapshot(), recording_id, clock_);
}

std::vector<RecordingInfo> DriveSession::list_recordings() const { return recording_infos(*snapshot(), clock_); }

// Prepares the drive, plans the disc and starts the writer: once per disc.
Status DriveSession::begin_writing() {
  const DiscState from = machine_.settled();
  if (from == DiscState::kRecording) return {};
  if (from == DiscState::kOpen) return continue_writing();
  ASSIGN_OR_RETURN(auto prepared, prepare_to_write(/*format_if_needed=*/true));
  const auto& caps = prepared.capabilities;
  const bool sequential = caps.sequential();
  if (sequential && from == DiscState::kFinalized && !caps.disc_appendable())
    return Error(ErrorCode::kFailedPrecondition,
                 "the " + caps.medium_name() + " in drive " + spec_.id +
                     " is finalized; a write-once disc takes no more recordings once it is closed "
                     "(finalize --no-close leaves it open for another session)");
  const bool next_session = sequential && from == DiscState::kFinalized;
  if (sequential && !next_session && prepared.start_lba != 0)
    return Error(ErrorCode::kFailedPrecondition,
                 "the " + caps.medium_name() + " in drive " + spec_.id +
                     " already holds data (next writable address " + std::to_string(prepared.start_lba) +
                     "); discrec records onto blank write-once discs");

  udf::LayoutRequest request;
  request.kind = sequential ? udf::MediaKind::kSequentialWriteOnce : udf::MediaKind::kRandomAccess;
  request.capacity_sectors = prepared.end_lba;
  request.write_unit_sectors = caps.ecc_unit_blocks;
  ASSIGN_OR_RETURN(auto layout, udf::plan_layout(request));
  // A rewritable disc that holds a volume: the recordings go into its free
  // space and finalize adds them to that volume.
  std::optional<journal::AppendBase> append;
  if (!sequential && from == DiscState::kFinalized) {
    ASSIGN_OR_RETURN(append, plan_append(layout));
  } else if (next_session) {
    ASSIGN_OR_RETURN(append, plan_session(layout));
  }
  if (from == DiscState::kFinalized) {
    // A new writer on a finalized disc: the recordings of its last one are on
    // the volume now, and history here (a refusal above leaves them listed
    // with the disc, and its verify).
    retire_disc_recordings();
    prepared_ = prepared;
  }

  if (sequential) {
    // Track 1 (of the session) holds the file system, written at finalize;
    // recordings stream into the next track. See recorder/udf/README.md.
    auto reserved = drive_->reserve_track_if_supported(layout.data_start - layout.session_start);
    if (!reserved.ok()) return std::move(reserved).error().with_context("reserving the file-system track");
    // false: the drive has no RESERVE TRACK (tgt). Writing at data_start
    // then depends on the drive accepting it, which the first write shows.
  }

  auto writing = std::make_shared<DiscWriting>();
  writing->target = block_target_for(*drive_, prepared);
  writing->write_mode = WriteModeInfo{prepared.write_mode, prepared.mode};
  writing->checksums = std::make_unique<ChecksumTarget>(*writing->target, layout.data_start, layout.data_limit,
                                                        caps.ecc_unit_blocks, caps.block_size);
  writing->writer = std::make_unique<StreamingWriter>(
      *writing->checksums, clock_, session_writer_options(prepared, layout.data_start, layout.data_limit));
  writing->extents = std::make_unique<ExtentJournal>(*writing->checksums);
  const WallTime started = std::chrono::system_clock::now();

  // Crash safety is not optional: no journal, no recording.
  journal::DiscBegin begin;
  begin.drive_uri = spec_.uri;
  begin.vendor = caps.vendor;
  begin.product = caps.product;
  begin.revision = caps.revision;
  begin.profile = caps.current_profile;
  begin.block_size = caps.block_size;
  begin.sequential = sequential;
  begin.capacity_sectors = request.capacity_sectors;
  begin.unit_blocks = request.write_unit_sectors;
  begin.data_start = layout.data_start;
  begin.data_limit = layout.data_limit;
  begin.started_unix_ns = unix_ns(started);
  // The append record goes down with the disc's in one write: a journal
  // must never describe an appended disc as a blank one (its finalize
  // would write a fresh volume over the one on the disc).
  std::vector<uint8_t> first_records = journal::encode(begin);
  if (append) {
    const auto record = journal::encode(*append);
    first_records.insert(first_records.end(), record.begin(), record.end());
  }
  auto journal = DiscJournal::create(journal_path(), first_records, options_.journal_interval);
  if (!journal.ok()) return std::move(journal).error().with_context("starting the crash journal");
  RETURN_IF_ERROR(writing->writer->start());
  journal_ = std::move(journal).value();
  journal_->start(writing);
  writing_ = std::move(writing);
  layout_ = layout;
  appending_ = append;
  disc_started_ = started;
  disc_journal_path_ = journal_path();
  writer_started();
  return {};
}

Result<PreparedDrive> DriveSession::prepare_to_write(bool format_if_needed) {
  RETURN_IF_ERROR(journal::check_state_directory(options_.state_directory));
  if (format_if_needed) RETURN_IF_ERROR(format_if_unformatted());
  PrepareOptions options;
  options.write_kbps = spec_.write_kbps;
  options.write_mode = spec_.write_mode;
  ASSIGN_OR_RETURN(auto prepared, prepare_for_writing_now(options));
  prepared_ = prepared;
  caps_ = prepared.capabilities;
  return prepared;
}

WriterOptions DriveSession::session_writer_options(const PreparedDrive& prepared, uint32_t start_lba,
                                                   uint32_t end_lba) const {
  WriterOptions wopts = writer_options_for(prepared);
  wopts.start_lba = start_lba;
  wopts.end_lba = end_lba;
  wopts.admission_margin = options_.admission_margin;
  wopts.max_recordings = options_.max_recordings_per_drive;
  // Sleep briefly when no whole unit is buffered: a drive outruns a single
  // stream, and a long sleep would leave it idle while the ring refills.
  wopts.idle_poll = std::chrono::milliseconds(2);
  wopts.stripe_bytes = options_.stripe_bytes;
  wopts.stripe_wait_fraction = options_.stripe_wait_fraction;
  return wopts;
}

std::string DriveSession::write_mode_note(bool why) const {
  if (!writing_ || !writing_->write_mode.choice) return "";
  const WriteModeChoice& mode = *writing_->write_mode.choice;
  if (mode.streaming) return "; streaming writes";
  return why ? "; writing in plain mode (" + mode.reason + ")" : "; plain writes";
}

// Names the writer thread that just started and asks for SCHED_FIFO; says
// so when refused.
void DriveSession::writer_started() {
  StreamingWriter& writer = *writing_->writer;
  writer.set_thread_name("writer " + spec_.id);
  const int priority = options_.writer_realtime_priority;
  if (priority <= 0) {
    writer_scheduling_ = "normal (real-time priority not configured)";
    return;
  }
  Status rt = writer.set_realtime_priority(priority);
  if (rt.ok()) {
    writer_scheduling_ = "SCHED_FIFO " + std::to_string(priority);
    return;
  }
  writer_scheduling_ = "normal (" + rt.error().message() + ")";
  // Not fatal: the writer keeps its deadlines on an idle machine; under load
  // it competes with everything else, which the operator should know.
  publish(EventKind::kDriveError, "",
          "warning: the writer thread of drive " + spec_.id + " runs at normal priority: " + rt.error().message() +
              " (allow it with the unit's LimitRTPRIO, or CAP_SYS_NICE)");
}

Status DriveSession::writer_takes_recordings() const {
  // A recording added to a writer that will never drain it would sit in
  // STOPPING; refuse it now and say what the disc needs instead.
  const StreamingWriter& writer = *writing_->writer;
  if (std::string full = disc_full_message(writer); !full.empty())
    return Error(ErrorCode::kResourceExhausted, "the disc in drive " + spec_.id + " is full (" + full +
                                                    "); finalize it and insert the next disc");
  if (auto failure = writer.failure())
    return Error(ErrorCode::kFailedPrecondition, "the writer of drive " + spec_.id + " failed (" +
                                                     failure->to_string() +
                                                     "); no recording can start on this disc: finalize it to keep "
                                                     "what is recorded");
  if (!writer.running())
    return Error(ErrorCode::kFailedPrecondition,
                 "the writer of drive " + spec_.id + " is stopped; finalize the disc to keep what is recorded");
  return {};
}

// A recording that says how long it runs is refused when the disc holds
// less at its bitrate: foreseen now, not found out mid-programme.
Status DriveSession::check_room_for(const StartRecordingParams& params) const {
  if (params.expected_duration.count() <= 0 || params.expected_bitrate_bps == 0 || !caps_) return {};
  const DiscState from = machine_.settled();
  std::optional<uint64_t> free_blocks;
  if (writing_ && writing_->writer && writing_->writer->running() && layout_) {
    const uint32_t next = writing_->writer->stats().next_lba;
    free_blocks = layout_->data_limit > next ? layout_->data_limit - next : 0;
  } else if (from == DiscState::kOpen && continue_lba_ && layout_) {
    free_blocks = layout_->data_limit > *continue_lba_ ? layout_->data_limit - *continue_lba_ : 0;
  } else if (from == DiscState::kFinalized && disc_volume_ && disc_volume_->not_appendable.empty()) {
    free_blocks = disc_volume_->recordable_blocks;
  } else if (from == DiscState::kBlank && caps_->free_blocks > 0) {
    free_blocks = caps_->free_blocks;  // less the file system's few MB (0: the drive did not say)
  }
  if (!free_blocks) return {};
  const uint64_t block_size = caps_->block_size ? caps_->block_size : 2048;
  const double needed = std::chrono::duration<double>(params.expected_duration).count() *
                        static_cast<double>(params.expected_bitrate_bps) / 8.0;
  const double holds = static_cast<double>(*free_blocks * block_size);
  if (needed <= holds) return {};
  const auto minutes = [](double seconds) { return std::to_string(static_cast<uint64_t>(seconds / 60)) + " min"; };
  const double rate = static_cast<double>(params.expected_bitrate_bps);
  return Error(ErrorCode::kResourceExhausted,
               "the disc in drive " + spec_.id + " holds about " + minutes(holds * 8.0 / rate) + " at " +
                   std::to_string(params.expected_bitrate_bps / 1000) + " kbit/s (" +
                   std::to_string(*free_blocks * block_size / 1'000'000) + " MB free); the recording is to last " +
                   minutes(std::chrono::duration<double>(params.expected_duration).count()) +
                   ": insert another disc, or delete recordings from this one");
}

Result<RecordingInfo> DriveSession::start_recording(const StartRecordingParams& params, CallDeadline deadline) {
  // The policy first, on the caller's thread: a refusal is immediate and
  // needs neither the drive nor its command thread. Only what the check
  // returns is opened, and only its redacted form is shown, journaled or
  // published. An upload names no path: the daemon made its pipe.
  CheckedStart checked;
  if (params.feed) {
    checked.source.kind = params.feed->paced() ? ingest::SourceKind::kPipe : ingest::SourceKind::kNetwork;
    checked.source.display_url = ingest::redact_source_url(params.source_url);
  } else if (params.upload_fd) {
    checked.source.kind = ingest::SourceKind::kPipe;
    checked.source.display_url = ingest::redact_source_url(params.source_url);
  } else {
    ASSIGN_OR_RETURN(checked.source, ingest::check_source(options_.source_policy, params.source_url));
    if (checked.source.kind == ingest::SourceKind::kNetwork)
      RETURN_IF_ERROR(sources_.validate_network_url(checked.source.open_url));
  }
  return run<RecordingInfo>(DiscRequest::kStartRecording, "start a recording", deadline,
                            [&](const ProgressCallback&) { on_commands_.assert_on(); return start_recording_now(params, checked); });
}

Result<RecordingInfo> DriveSession::start_recording_now(const StartRecordingParams& params,
                                                        const CheckedStart& checked) {
  RETURN_IF_ERROR(require_drive());
  const auto& source = checked.source;
  // A generated id is taken for good only once the recording starts, so
  // refused requests leave no holes in the numbering.
  std::string id = params.recording_id;
  const bool generated = id.empty();
  while (generated) {  // skipping numbers a client took by name
    char buf[16];
    std::snprintf(buf, sizeof buf, "rec%03u", next_recording_number_);
    id = buf;
    if (!recording_id_taken(id)) break;
    ++next_recording_number_;
  }
  if (recording_id_taken(id))
    return Error(ErrorCode::kFailedPrecondition, "recording " + id + " already exists on drive " + spec_.id);
  const uint32_t active = active_now();
  if (active >= options_.max_recordings_per_drive)
    return Error(ErrorCode::kResourceExhausted, "drive " + spec_.id + " already records " + std::to_string(active) +
                                                    " streams (limit " +
                                                    std::to_string(options_.max_recordings_per_drive) + ")");
  RETURN_IF_ERROR(check_room_for(params));
  RETURN_IF_ERROR(begin_writing());
  settle(DiscState::kRecording);  // the writer runs from here until finalize
  RETURN_IF_ERROR(machine_.begin(DiscRequest::kStartRecording));
  RETURN_IF_ERROR(writer_takes_recordings());
  // Every recording becomes a file at finalize; the layout reserved room for
  // so many. Refuse now rather than leave a disc that cannot be finalized.
  if (recordings_.size() + recovered_files_.size() >= layout_->max_files)
    return Error(ErrorCode::kResourceExhausted, "the disc in drive " + spec_.id + " holds " +
                                                    std::to_string(layout_->max_files) +
                                                    " recordings, as many as its file system has room for; "
                                                    "finalize it and insert the next disc");
  StreamingWriter& writer = *writing_->writer;
  RecordingConfig config;
  config.name = id;
  config.priority = params.priority;
  config.bitrate_bps = params.expected_bitrate_bps;
  config.latency_budget = params.latency_budget.count() > 0 ? params.latency_budget : options_.default_latency_budget;
  config.ring_bytes = params.ring_bytes ? params.ring_bytes : options_.default_ring_bytes;
  config.ring_pool = ring_budget_.pool();  // reserved at start-up: nothing is mapped now
  ASSIGN_OR_RETURN(uint64_t ring_memory, Recording::ring_memory_bytes(config, writer.max_command_bytes()));
  ASSIGN_OR_RETURN(auto reservation, ring_budget_.reserve(ring_memory, "recording " + id));
  std::shared_ptr<Recording> recording;
  {
    Activity allocating(*this, "allocating a recording's ring buffer");  // an unlocked pool faults the ring in
    ASSIGN_OR_RETURN(recording, writer.add_recording(config));
  }
  journal::RecordingBegin begin;
  begin.writer_id = recording->id();
  begin.id = id;
  begin.title = params.title;
  begin.source_url = source.display_url;
  begin.priority = params.priority;
  begin.start_unix_ns = unix_ns(std::chrono::system_clock::now());
  if (Status logged = journal_->append({journal::encode(begin)}); !logged.ok()) {
    (void)writer.stop_recording(recording->id());
    return std::move(logged).error().with_context("journaling the new recording");
  }
  writing_->extents->begin_recording(recording);

  auto entry = std::make_unique<Entry>();
  entry->params = params;
  entry->params.source_url = source.display_url;
  entry->params.recording_id = id;
  entry->params.latency_budget = config.latency_budget;
  entry->params.upload_fd.reset();
  entry->params.feed.reset();  // the part's source holds it
  entry->id = id;
  entry->start_time = std::chrono::system_clock::now();
  entry->recording = recording;
  entry->ring_reservation = std::move(reservation);
  entry->writing = writing_;
  entry->ring_locked = recording->ring_locked();
  TsSourceRequest request;
  request.url = source.open_url;
  request.file_root = source.file_root;
  request.file_path = source.file_path;
  request.min_reconnect_interval = options_.source_policy.min_reconnect_interval;
  if (params.upload_fd) {
    // The source owns what it is given: a copy of the upload's read end.
    request.input_fd = file_io::duplicate(params.upload_fd->get());
    if (request.input_fd < 0) {
      (void)writer.stop_recording(recording->id());
      return Error(ErrorCode::kResourceExhausted, std::string("no file descriptor for the upload: ") + std::strerror(errno));
    }
  }
  TsSink* sink = recording.get();
  if (source.kind != ingest::SourceKind::kNetwork) {
    // Buffer as much as the drive writes in a quarter of the latency budget:
    // plenty to keep it streaming, and well under the backlog (half the
    // budget at the guaranteed speed) at which the writer starts shedding
    // live recordings. At least two full commands, at most a quarter ring.
    const auto& w = writer.options();
    uint64_t by_speed = static_cast<uint64_t>(static_cast<double>(w.guaranteed_bytes_per_second) *
                                              std::chrono::duration<double>(config.latency_budget).count() / 4);
    uint64_t one_command = uint64_t{w.max_units_per_command} * w.ecc_unit_blocks * w.block_size;
    uint64_t backlog = std::max<uint64_t>(std::min<uint64_t>(by_speed, config.ring_bytes / 4), 2 * one_command);
    // And a whole stripe (or half the ring, which makes one due), while
    // that is within half the budget at the guaranteed speed: below a
    // stripe the writer waits out the stripe wait for every one, and the
    // file would go at backlog / wait, the guaranteed speed, however fast
    // the drive takes it.
    if (w.stripe_bytes > 0)
      backlog = std::max<uint64_t>(backlog, std::min<uint64_t>({w.stripe_bytes, config.ring_bytes / 2, 2 * by_speed}));
    entry->paced = std::make_unique<PacedSink>(recording, backlog);
    entry->paced_source = true;
    sink = entry->paced.get();
  }
  auto made = params.feed ? Result<std::unique_ptr<TsSource>>(params.feed->make_source(*sink))
                          : sources_.make(request, *sink, clock_);
  if (!made.ok()) {
    if (request.input_fd >= 0) ::close(request.input_fd);
    (void)writer.stop_recording(recording->id());
    return std::move(made).error();
  }
  entry->source = std::shared_ptr<TsSource>(std::move(made).value());
  Entry* raw = entry.get();
  recordings_[id] = std::move(entry);
  raw->thread = std::thread([this, raw] { source_main(raw); });
  catalog_started(*raw);
  if (generated) ++next_recording_number_;
  settle(DiscState::kRecording);
  // What an operator needs to find the recording again in the log.
  publish(EventKind::kRecordingState, id,
          "recording from " + source.display_url + " (priority " + std::to_string(params.priority) +
              ", declared " + (params.expected_bitrate_bps ? std::to_string(params.expected_bitrate_bps) + " bit/s"
                                                           : std::string("no bitrate")) +
              (params.title.empty() ? "" : ", title '" + params.title + "'") + ")" +
              write_mode_note(true));
  if (!raw->ring_locked)
    publish(EventKind::kDriveError, id,
            "warning: the ring of " + id + " could not be locked in RAM (the daemon lacks CAP_IPC_LOCK, or "
            "LimitMEMLOCK is below limits.ring_memory): under memory pressure it may be paged out and miss deadlines");
  publish_snapshot();
  return info_of(*raw);
}

// The recording's own thread: runs its source to the end.
void DriveSession::source_main(Entry* entry) {
  Status status = entry->source->run();
  {
    std::lock_guard lock(entry->end->mutex);
    if (!status.ok() && status.error().code() != ErrorCode::kAborted) {
      // The source failed because the writer stopped: say why, with numbers.
      std::string full = disc_full_message(*entry->writing->writer);
      entry->end->error = full.empty() ? status.error().to_string() : full;
    } else {
      entry->end->reason = entry->end->stop_requested ? "stopped on request" : "the source ended";
    }
    entry->end->time = std::chrono::system_clock::now();
  }
  entry->end->source_done.store(true, std::memory_order_release);
  // Whatever ended the source, what is in the ring still goes to disc.
  (void)entry->writing->writer->stop_recording(entry->recording->id());
}

Result<RecordingInfo> DriveSession::stop_recording(const std::string& recording_id, CallDeadline deadline) {
  // A recording that already ended (or is not on this disc) is answered
  // from the snapshot, without a command.
  {
    auto s = snapshot();
    auto it = std::find_if(s->recordings.begin(), s->recordings.end(),
                           [&](const auto& v) { return v->id == recording_id; });
    if (it == s->recordings.end() || (*it)->end->source_done.load(std::memory_order_acquire))
      return find_recording(*s, recording_id, clock_);
  }
  return run<RecordingInfo>(DiscRequest::kStopRecording, "stop a recording", deadline,
                            [this, recording_id](const ProgressCallback&) { on_commands_.assert_on(); return stop_recording_now(recording_id); });
}

Result<RecordingInfo> DriveSession::stop_recording_now(const std::string& recording_id) {
  auto it = recordings_.find(recording_id);
  if (it == recordings_.end())
    return Error(ErrorCode::kNotFound, "no recording " + recording_id + " on drive " + spec_.id);
  Entry& entry = *it->second;
  entry.end->stop_requested = true;
  {
    Activity stopping(*this, "stopping a recording");  // up to 10 s while the writer drains
    if (entry.paced) entry.paced->stop();
    if (entry.source) entry.source->stop();
    if (entry.thread.joinable()) entry.thread.join();
    // The writer drains the ring and pads the last unit; wait a bounded time
    // so the answer shows the recording stopped.
    const StreamingWriter& writer = *entry.writing->writer;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!entry.recording->finished() && !writer.failure() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Give the ring back now, not at the next tick: a client that stops and
  // starts in a loop must find the memory free again.
  if (entry.recording->release_buffers()) entry.ring_reservation.reset();
  settle(DiscState::kRecording);
  return info_of(entry);
}

void DriveSession::stop_recordings(Nanos timeout) {
  for (auto& [id, entry] : recordings_) {
    entry->end->stop_requested = true;
    if (entry->paced) entry->paced->stop();
    if (entry->source) entry->source->stop();
  }
  for (auto& [id, entry] : recordings_)
    if (entry->thread.joinable()) entry->thread.join();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& [id, entry] : recordings_)
    while (!entry->recording->finished() && !entry->writing->writer->failure() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace discrec::recorder
