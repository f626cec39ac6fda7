// The journal on local disk: appends are one write() plus fdatasync(), so a
// record is either whole on disk or detected as torn on replay. The file is
// kept zero-filled a megabyte or so past its last record, so appends do not
// grow it (see preallocate()); replay ends cleanly at the zeros.
//
// Thread-safety: thread-compatible; one owner (the drive session's journal
// thread, or the session under its mutex) appends.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "recorder/journal/journal_format.h"

namespace discrec::recorder::journal {

class JournalFile {
 public:
  // Starts a new journal at `path` (replacing any old one) and makes its
  // directory entry durable.
  static Result<std::unique_ptr<JournalFile>> create(const std::string& path);
  // Continues an existing journal after its trusted prefix, cutting off a
  // torn tail so new records follow valid ones.
  static Result<std::unique_ptr<JournalFile>> reopen(const std::string& path, uint64_t valid_bytes);
  ~JournalFile();

  // Writes the records with one write() and makes them durable.
  Status append(const std::vector<std::vector<uint8_t>>& records);
  Status append(const std::vector<uint8_t>& record) { return append(std::vector<std::vector<uint8_t>>{record}); }

  const std::string& path() const { return path_; }
  // Bytes of records (the file is longer: zeros follow).
  uint64_t size() const { return size_; }
  uint64_t syncs() const { return syncs_; }

 private:
  static constexpr uint64_t kPreallocateBytes = 1 << 20;

  JournalFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size), allocated_(size) {}
  // Makes sure `needed` bytes after the last record are zeroed file space.
  Status preallocate(size_t needed);
  Status write_all(const uint8_t* data, size_t size, uint64_t offset);

  std::string path_;
  int fd_;
  uint64_t size_;       // end of the last record
  uint64_t allocated_;  // end of the file (zeros from size_ on)
  uint64_t syncs_ = 0;
  std::vector<uint8_t> buffer_;
};

// Reads and replays the journal at `path`. kNotFound when there is none.
Result<JournalState> load_journal(const std::string& path);

// Moves a finished journal aside (path + ".done"), so the next start does
// not try to recover it, but a person can still read it.
Status retire_journal(const std::string& path);

// Crash safety needs the journal: the state directory must be writable and
// have room. Checked before a recording starts, with a clear error.
Status check_state_directory(const std::string& directory, uint64_t min_free_bytes = 16u << 20);

// fsync of the directory holding `path`: a file created or renamed there
// survives a power cut. Shared with the catalog, which keeps its file the
// same way.
Status sync_parent_directory(const std::string& path);

}  // namespace discrec::recorder::journal
