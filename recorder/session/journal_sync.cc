// DriveSession's crash journal: started with the disc, synced once per
// journal_interval by its own thread, closed at finalize.
#include <chrono>

#include "recorder/journal/journal_format.h"
#include "recorder/session/drive_session.h"
#include "recorder/session/drive_session_entry.h"

namespace discrec::recorder {
namespace {

int64_t unix_ns(WallTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string DriveSession::journal_path() const { return options_.state_directory + "/journal-" + spec_.id + ".bin"; }

Status DriveSession::journal_append(const std::vector<std::vector<uint8_t>>& records) {
  std::lock_guard lock(journal_mutex_);
  if (!journal_) return {};
  Status s = journal_->append(records);
  if (!s.ok()) journal_health_ = s;
  return s;
}

Status DriveSession::start_journal_locked(const udf::LayoutRequest& request) {
  RETURN_IF_ERROR(journal::check_state_directory(options_.state_directory));
  ASSIGN_OR_RETURN(auto file, journal::JournalFile::create(journal_path()));
  journal::DiscBegin begin;
  begin.drive_uri = spec_.uri;
  if (caps_) {
    begin.vendor = caps_->vendor;
    begin.product = caps_->product;
    begin.revision = caps_->revision;
    begin.profile = caps_->current_profile;
    begin.block_size = caps_->block_size;
  }
  begin.sequential = request.kind == udf::MediaKind::kSequentialWriteOnce;
  begin.capacity_sectors = request.capacity_sectors;
  begin.unit_blocks = request.write_unit_sectors;
  begin.data_start = layout_->data_start;
  begin.data_limit = layout_->data_limit;
  begin.started_unix_ns = unix_ns(disc_started_);
  RETURN_IF_ERROR(file->append(journal::encode(begin)));
  {
    std::lock_guard lock(journal_mutex_);
    journal_ = std::move(file);
    journal_health_ = {};
  }
  disc_journal_path_ = journal_path();
  extent_journal_ = std::make_unique<ExtentJournal>(*checksums_);
  start_journal_thread_locked();
  return {};
}

void DriveSession::start_journal_thread_locked() {
  {
    std::lock_guard lock(journal_wake_mutex_);
    journal_quit_ = false;
  }
  journal_thread_ = std::thread([this] { journal_main(); });
}

void DriveSession::journal_main() {
  std::unique_lock lock(journal_wake_mutex_);
  while (!journal_quit_) {
    journal_wake_.wait_for(lock, options_.journal_interval, [&] { return journal_quit_; });
    if (journal_quit_) break;
    lock.unlock();
    (void)journal_sync_once();  // a failure is kept in journal_health_ and reported by poll_events
    lock.lock();
  }
}

// Makes what the drive acknowledged durable (SYNCHRONIZE CACHE), then logs
// it. Extents are collected before the flush, so everything logged was
// written before the flush began: "confirmed" means on the medium. The
// writer hands each extent out once (ExtentJournal): from here on the
// journal is the only complete record of them.
Status DriveSession::journal_sync_once() {
  std::lock_guard sync(journal_sync_mutex_);
  StreamingWriter* writer = writer_.get();
  ExtentJournal* extents = extent_journal_.get();
  if (!writer || !drive_target_ || !extents) return {};
  extents->collect(*writer);
  Status flushed = drive_target_->flush();
  if (!flushed.ok()) {
    // What was collected stays there, and is logged after the next flush.
    std::lock_guard lock(journal_mutex_);
    journal_health_ = flushed;
    return flushed;
  }
  std::lock_guard lock(journal_mutex_);
  if (!journal_) return {};
  Status s = extents->append_to(*journal_);
  if (!s.ok()) journal_health_ = s;
  return s;
}

void DriveSession::stop_journal_locked() {
  {
    std::lock_guard lock(journal_wake_mutex_);
    journal_quit_ = true;
  }
  journal_wake_.notify_all();
  if (journal_thread_.joinable()) journal_thread_.join();
}

void DriveSession::journal_recording_end_locked(Entry& entry) {
  if (entry.journaled_end) return;
  entry.journaled_end = true;
  journal::RecordingEnd end;
  end.writer_id = entry.recording->id();
  {
    std::lock_guard lock(entry.mutex);
    end.end_unix_ns = unix_ns(entry.end_time.value_or(std::chrono::system_clock::now()));
    end.error = entry.error;
  }
  (void)journal_append({journal::encode(end)});
}

}  // namespace discrec::recorder
