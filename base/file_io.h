// The few file operations the journal, the catalog and the readers need that
// POSIX and Windows spell differently: positioned reads and writes, syncing
// data, truncating, replacing a file atomically, duplicating a descriptor.
// Descriptors are C runtime ints on both (on Windows the CRT's, backed by a
// HANDLE). Errors come back as on POSIX: -1 with errno set.
//
// Why not std::filesystem/fstream: neither syncs, reads at an offset without
// moving a shared position, or replaces a file durably.
#ifndef DISCREC_BASE_FILE_IO_H_
#define DISCREC_BASE_FILE_IO_H_

#include <fcntl.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>

namespace discrec::file_io {

// open(2) with O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_TRUNC, O_EXCL: never
// inherited by a child process; on Windows binary (no CR/LF translation) and
// shared for reading, writing and deletion, so that an open file can be
// replaced or removed as on POSIX (replace_file over a file still open).
int open_file(const std::string& path, int flags, int mode = 0640);

// For open_file: refuse a symbolic link as the last component (POSIX
// O_NOFOLLOW). 0 on Windows, where only an administrator makes links.
#if defined(O_NOFOLLOW)
inline constexpr int kNoFollow = O_NOFOLLOW;
#else
inline constexpr int kNoFollow = 0;
#endif

// pread/pwrite: at most `size` bytes at `offset`; the descriptor's own
// position is not used (on Windows it may move). 0 from read_at is the end.
int64_t read_at(int fd, void* data, size_t size, uint64_t offset);
int64_t write_at(int fd, const void* data, size_t size, uint64_t offset);

// Whole buffers: loops over short reads/writes. false with errno on error;
// read_all_at also fails (errno EIO) at a premature end of file.
bool write_all_at(int fd, const void* data, size_t size, uint64_t offset);
bool read_all_at(int fd, void* data, size_t size, uint64_t offset);

int sync_data(int fd);    // fdatasync
int sync_file(int fd);    // fsync
int truncate_file(int fd, uint64_t size);
// The file's size; -1 with errno when it is not a regular file (EINVAL) or
// cannot be inspected.
int64_t regular_file_size(int fd);

// lseek with a 64-bit offset on both.
int64_t seek(int fd, int64_t offset, int whence);

// Waits up to `timeout_ms` for a pipe's read end to have data or its writer
// to be gone: 1 then, 0 on timeout, -1 with errno (poll(2); on Windows
// PeekNamedPipe in 10 ms steps: anonymous pipes cannot be waited on).
int wait_readable(int fd, int timeout_ms);

// Makes a rename, creation or removal in `directory` durable (POSIX: fsync
// of the directory; Windows: NTFS journals its metadata, nothing to do).
int sync_directory(const std::string& directory);

// rename(2): `to` replaced atomically if it exists (on Windows written
// through before returning). `to` must not be open: Windows (and wine)
// refuse to replace an open file, whatever it was shared for.
int replace_file(const std::string& from, const std::string& to);

// A descriptor of the same open file that a child process does not inherit.
int duplicate(int fd);

// An exclusive advisory lock held until the descriptor is closed (or the
// process ends): flock(LOCK_EX|LOCK_NB); on Windows LockFileEx on one byte
// far beyond any data, so the file's contents stay readable by others.
// -1 with errno EWOULDBLOCK when another process holds it.
int lock_exclusive(int fd);

// mkdir(2); on Windows `mode` is ignored (the directory inherits its
// parent's ACL). -1 with errno EEXIST when it exists.
int make_directory(const std::string& path, int mode);

// gmtime_r.
std::tm utc_time(std::time_t t);

// Free bytes for an unprivileged writer under `directory`, and whether it
// is read-only; false with errno when it cannot be inspected.
struct SpaceInfo {
  uint64_t free_bytes = 0;
  bool read_only = false;
};
bool space_of(const std::string& directory, SpaceInfo* out);

}  // namespace discrec::file_io

#endif  // DISCREC_BASE_FILE_IO_H_
