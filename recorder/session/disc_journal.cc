#include "recorder/session/disc_journal.h"

namespace discrec::recorder {

DiscJournal::DiscJournal(std::string path, std::unique_ptr<journal::JournalFile> file, Nanos interval)
    : path_(std::move(path)), interval_(interval), file_(std::move(file)) {}

DiscJournal::~DiscJournal() { stop(); }

Result<std::unique_ptr<DiscJournal>> DiscJournal::create(const std::string& path,
                                                         const std::vector<uint8_t>& disc_begin, Nanos interval) {
  ASSIGN_OR_RETURN(auto file, journal::JournalFile::create(path));
  RETURN_IF_ERROR(file->append(disc_begin));
  return std::unique_ptr<DiscJournal>(new DiscJournal(path, std::move(file), interval));
}

Result<std::unique_ptr<DiscJournal>> DiscJournal::reopen(const std::string& path, uint64_t valid_bytes,
                                                         Nanos interval) {
  ASSIGN_OR_RETURN(auto file, journal::JournalFile::reopen(path, valid_bytes));
  return std::unique_ptr<DiscJournal>(new DiscJournal(path, std::move(file), interval));
}

Status DiscJournal::append(const std::vector<std::vector<uint8_t>>& records) {
  MutexLock lock(file_mutex_);
  Status s = file_->append(records);
  if (!s.ok()) failure_ = s.error();
  return s;
}

std::optional<Error> DiscJournal::take_failure() {
  MutexLock lock(file_mutex_);
  return std::exchange(failure_, std::nullopt);
}

void DiscJournal::start(std::shared_ptr<DiscWriting> writing) {
  stop();
  {
    MutexLock sync(sync_mutex_);
    writing_ = std::move(writing);
    // Nothing unconfirmed yet: the lag counts from here.
    if (writing_ && writing_->writer) {
      writing_->journal_confirmed_blocks.store(writing_->writer->stats().blocks_written, std::memory_order_relaxed);
      writing_->journal_confirmed_ns.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                                           std::memory_order_release);
    }
  }
  {
    MutexLock lock(wake_mutex_);
    quit_ = false;
  }
  thread_ = std::thread([this] { main(); });
}

void DiscJournal::stop() {
  {
    MutexLock lock(wake_mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DiscJournal::main() {
  for (;;) {
    {
      MutexLock lock(wake_mutex_);
      const auto due = std::chrono::steady_clock::now() + interval_;
      while (!quit_ && wake_.wait_until(wake_mutex_, due) != std::cv_status::timeout) {
      }
      if (quit_) return;
    }
    (void)sync();  // a failure is kept for take_failure()
  }
}

// Extents are collected before the flush, so everything logged was written
// before the flush began.
Status DiscJournal::sync() {
  MutexLock sync(sync_mutex_);
  if (!writing_ || !writing_->writer || !writing_->target || !writing_->extents) return {};
  // What the drive had acknowledged before the collect: all of it is logged
  // once this sync succeeds.
  const uint64_t blocks = writing_->writer->stats().blocks_written;
  writing_->extents->collect(*writing_->writer);
  Status flushed = writing_->target->flush();
  MutexLock lock(file_mutex_);
  if (!flushed.ok()) {
    // What was collected stays there, and is logged after the next flush.
    failure_ = flushed.error();
    return flushed;
  }
  Status s = writing_->extents->append_to(*file_);
  if (!s.ok()) {
    failure_ = s.error();
    return s;
  }
  writing_->journal_confirmed_blocks.store(blocks, std::memory_order_relaxed);
  writing_->journal_confirmed_ns.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                                       std::memory_order_release);
  return s;
}

}  // namespace discrec::recorder
