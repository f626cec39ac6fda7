#include "recorder/session/catalog.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "base/file_io.h"
#include "recorder/journal/journal_file.h"
#include "recorder/session/crc32c.h"

namespace discrec::recorder {
namespace {

constexpr char kMagic[8] = {'D', 'R', 'C', 'A', 'T', 'L', 'G', '1'};
constexpr size_t kHeaderBytes = 8;  // length, crc
constexpr uint8_t kVersion = 1;

Error io_error(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno));
}

Status write_all(int fd, const uint8_t* data, size_t size, uint64_t offset, const std::string& path) {
  if (!file_io::write_all_at(fd, data, size, offset)) return io_error("cannot write catalog", path);
  return {};
}

// Reads up to `size` bytes at `offset`; fewer only at the end of the file.
Result<size_t> read_at(int fd, uint8_t* data, size_t size, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const int64_t n = file_io::read_at(fd, data + done, size - done, offset + done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read catalog", path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// Cut to at most `max` bytes without splitting a UTF-8 character.
std::string cut(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

int64_t unix_ns_of(WallTime t) { return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(); }
WallTime wall_of(int64_t ns) { return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(ns))); }

class Writer {
 public:
  Writer& u8(uint8_t v) { return le(v, 1); }
  Writer& u32(uint32_t v) { return le(v, 4); }
  Writer& u64(uint64_t v) { return le(v, 8); }
  Writer& str(const std::string& s) {
    const std::string c = cut(s, Catalog::kMaxStringBytes);
    u32(static_cast<uint32_t>(c.size()));
    payload_.insert(payload_.end(), c.begin(), c.end());
    return *this;
  }
  std::vector<uint8_t> finish() const {
    std::vector<uint8_t> out(kHeaderBytes + payload_.size());
    const uint32_t length = static_cast<uint32_t>(payload_.size());
    const uint32_t crc = crc32c(payload_);
    for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(length >> (8 * i));
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(crc >> (8 * i));
    std::copy(payload_.begin(), payload_.end(), out.begin() + kHeaderBytes);
    return out;
  }

 private:
  Writer& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) payload_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  std::vector<uint8_t> payload_;
};

// Bounds-checked: an overrun marks the reader bad instead of reading.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> p) : p_(p) {}
  bool ok() const { return ok_; }
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  std::string str() {
    const uint32_t n = u32();
    if (!ok_ || n > Catalog::kMaxStringBytes || n > p_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(p_.data() + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  uint64_t le(int n) {
    if (!ok_ || p_.size() - pos_ < static_cast<size_t>(n)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{p_[pos_ + i]} << (8 * i);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::span<const uint8_t> p_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// nullopt for a payload this version cannot read (its framing was sound:
// the record is skipped, not the rest of the file).
std::optional<CatalogPart> decode(std::span<const uint8_t> payload) {
  Reader r(payload);
  if (r.u8() != kVersion) return std::nullopt;
  CatalogPart p;
  p.recording_id = r.str();
  p.part = r.u32();
  p.title = r.str();
  p.pool = r.str();
  p.drive_id = r.str();
  p.drive_recording_id = r.str();
  p.disc = r.str();
  p.volume_id = r.str();
  p.label = r.str();
  if (r.u8()) p.slot = r.u32();
  else (void)r.u32();
  p.start = wall_of(static_cast<int64_t>(r.u64()));
  const bool has_end = r.u8() != 0;
  const int64_t end = static_cast<int64_t>(r.u64());
  if (has_end) p.end = wall_of(end);
  p.bytes = r.u64();
  p.lost_extents = r.u64();
  p.lost_bytes = r.u64();
  const uint8_t state = r.u8();
  p.note = r.str();
  // Fields a later version appends follow here; this one ignores them.
  if (!r.ok() || p.recording_id.empty() || p.part == 0 || state < 1 || state > 7) return std::nullopt;
  p.state = static_cast<CatalogState>(state);
  return p;
}

bool settled(CatalogState s) {
  return s == CatalogState::kFinalized || s == CatalogState::kVerified || s == CatalogState::kFailed ||
         s == CatalogState::kDeleted;
}

}  // namespace

const char* catalog_state_name(CatalogState state) {
  switch (state) {
    case CatalogState::kRecording: return "recording";
    case CatalogState::kEnded: return "ended";
    case CatalogState::kFinalizing: return "finalizing";
    case CatalogState::kFinalized: return "finalized";
    case CatalogState::kVerified: return "verified";
    case CatalogState::kFailed: return "failed";
    case CatalogState::kDeleted: return "deleted";
  }
  return "unknown";
}

std::vector<uint8_t> encode_catalog_record(const CatalogPart& p) {
  Writer w;
  w.u8(kVersion);
  w.str(p.recording_id).u32(p.part).str(p.title).str(p.pool).str(p.drive_id).str(p.drive_recording_id);
  w.str(p.disc).str(p.volume_id).str(p.label);
  w.u8(p.slot ? 1 : 0).u32(p.slot.value_or(0));
  w.u64(static_cast<uint64_t>(unix_ns_of(p.start)));
  w.u8(p.end ? 1 : 0).u64(static_cast<uint64_t>(p.end ? unix_ns_of(*p.end) : 0));
  w.u64(p.bytes).u64(p.lost_extents).u64(p.lost_bytes);
  w.u8(static_cast<uint8_t>(p.state));
  w.str(p.note);
  return w.finish();
}

Result<std::unique_ptr<Catalog>> Catalog::open(const std::string& path, CatalogLimits limits) {
  std::unique_ptr<Catalog> catalog(new Catalog(path, limits));
  RETURN_IF_ERROR(catalog->load());
  return catalog;
}

Catalog::~Catalog() {
  MutexLock lock(file_mutex_);
  if (fd_ >= 0) ::close(fd_);
}

Status Catalog::load() {
  MutexLock file_lock(file_mutex_);
  fd_ = file_io::open_file(path_, O_RDWR | O_CREAT);
  if (fd_ < 0) return io_error("cannot open catalog", path_);
  const int64_t size_or_error = file_io::regular_file_size(fd_);
  if (size_or_error < 0) return io_error("cannot inspect catalog", path_);
  const uint64_t file_size = static_cast<uint64_t>(size_or_error);

  uint8_t magic[kHeaderBytes] = {};
  ASSIGN_OR_RETURN(size_t got, read_at(fd_, magic, sizeof magic, 0, path_));
  if (got < sizeof magic) {
    // New, or a crash before its header was whole: what is there must be
    // the beginning of one, else it is someone else's file.
    if (std::memcmp(magic, kMagic, got) != 0)
      return Error(ErrorCode::kMalformedResponse, path_ + " is not a discrec catalog; move it aside");
    if (file_io::truncate_file(fd_, 0) != 0) return io_error("cannot truncate catalog", path_);
    RETURN_IF_ERROR(write_all(fd_, reinterpret_cast<const uint8_t*>(kMagic), sizeof kMagic, 0, path_));
    if (file_io::sync_data(fd_) != 0) return io_error("cannot sync catalog", path_);
    RETURN_IF_ERROR(journal::sync_parent_directory(path_));
    size_ = sizeof kMagic;
    next_compaction_ = limits_.compact_after_records;
    return {};
  }
  if (std::memcmp(magic, kMagic, sizeof magic) != 0)
    return Error(ErrorCode::kMalformedResponse, path_ + " is not a discrec catalog; move it aside");

  uint64_t pos = sizeof kMagic;
  std::string problem;
  std::vector<uint8_t> payload;
  {
    MutexLock parts_lock(parts_mutex_);
    while (pos < file_size) {
      uint8_t header[kHeaderBytes];
      ASSIGN_OR_RETURN(size_t n, read_at(fd_, header, sizeof header, pos, path_));
      if (n < sizeof header) {
        problem = "a torn record header";
        break;
      }
      uint32_t length = 0, crc = 0;
      for (int i = 0; i < 4; ++i) length |= uint32_t{header[i]} << (8 * i);
      for (int i = 0; i < 4; ++i) crc |= uint32_t{header[4 + i]} << (8 * i);
      if (length == 0 || length > kMaxRecordBytes) {
        problem = "a record length of " + std::to_string(length) + " bytes";
        break;
      }
      if (file_size - pos - sizeof header < length) {
        problem = "a torn record";
        break;
      }
      payload.resize(length);
      ASSIGN_OR_RETURN(n, read_at(fd_, payload.data(), length, pos + sizeof header, path_));
      if (n < length) {
        problem = "a torn record";
        break;
      }
      if (crc32c(payload) != crc) {
        problem = "a record whose checksum does not match";
        break;
      }
      if (auto part = decode(payload)) {
        parts_[{part->recording_id, part->part}] = std::move(*part);
        // A hostile file of endless distinct parts is cut as it is read.
        if (parts_.size() > limits_.max_parts + limits_.max_parts / 100 + 1) (void)trim();
      }
      pos += sizeof header + length;
      ++records_;
    }
  }
  if (pos < file_size) {
    repaired_ = "dropped " + std::to_string(file_size - pos) + " byte(s) at offset " + std::to_string(pos) + " (" +
                problem + ")";
    if (file_io::truncate_file(fd_, pos) != 0) return io_error("cannot truncate catalog", path_);
    if (file_io::sync_data(fd_) != 0) return io_error("cannot sync catalog", path_);
  }
  size_ = pos;
  next_compaction_ = limits_.compact_after_records;
  bool trimmed = false;
  size_t live = 0;
  {
    MutexLock parts_lock(parts_mutex_);
    trimmed = trim();
    live = parts_.size();
  }
  if (trimmed || (records_ >= next_compaction_ && records_ > 2 * live)) {
    // Not fatal: the file as it is holds everything.
    if (!compact().ok()) next_compaction_ = 2 * records_;
  }
  return {};
}

Status Catalog::put(const CatalogPart& part) {
  if (part.recording_id.empty()) return Error(ErrorCode::kInvalidArgument, "a catalog part needs a recording id");
  if (part.part == 0) return Error(ErrorCode::kInvalidArgument, "catalog parts are numbered from 1");
  if (part.recording_id.size() > kMaxStringBytes)
    return Error(ErrorCode::kInvalidArgument, "recording id too long for the catalog");
  const std::vector<uint8_t> record = encode_catalog_record(part);
  MutexLock file_lock(file_mutex_);
  RETURN_IF_ERROR(append(record));
  // What the file now says, strings cut as they were written.
  auto stored = decode(std::span(record).subspan(kHeaderBytes));
  if (!stored) return Error(ErrorCode::kInternal, "a catalog record does not read back");
  bool trimmed = false;
  size_t live = 0;
  {
    MutexLock parts_lock(parts_mutex_);
    parts_[{part.recording_id, part.part}] = std::move(*stored);
    trimmed = trim();
    live = parts_.size();
  }
  if (trimmed || (records_ >= next_compaction_ && records_ > 2 * live)) {
    // The part is durable already; a rewrite that fails is tried again
    // later, so it costs the next puts nothing.
    if (!compact().ok()) next_compaction_ = 2 * records_;
  }
  return {};
}

Status Catalog::append(const std::vector<uint8_t>& record) {
  if (fd_ < 0) return Error(ErrorCode::kIo, "the catalog " + path_ + " is not open (a rewrite failed)");
  Status written = write_all(fd_, record.data(), record.size(), size_, path_);
  if (written.ok() && file_io::sync_data(fd_) != 0) written = io_error("cannot sync catalog", path_);
  if (!written.ok()) {
    // The file must end at a record boundary: a later record after half a
    // one would be cut away with it at the next open.
    (void)file_io::truncate_file(fd_, size_);
    return written;
  }
  size_ += record.size();
  ++records_;
  return {};
}

Status Catalog::compact() {
  std::vector<uint8_t> bytes(kMagic, kMagic + sizeof kMagic);
  uint64_t records = 0;
  {
    MutexLock parts_lock(parts_mutex_);
    for (const auto& [key, part] : parts_) {
      auto r = encode_catalog_record(part);
      bytes.insert(bytes.end(), r.begin(), r.end());
      ++records;
    }
  }
  const std::string temporary = path_ + ".new";
  int fd = file_io::open_file(temporary, O_RDWR | O_CREAT | O_TRUNC);
  if (fd < 0) return io_error("cannot create", temporary);
  Status done = write_all(fd, bytes.data(), bytes.size(), 0, temporary);
  if (done.ok() && file_io::sync_file(fd) != 0) done = io_error("cannot sync", temporary);
  if (done.ok()) {
    // Windows cannot replace a file that is open: the old descriptor goes
    // first, and comes back if the replacement fails (the old file is whole).
    ::close(fd_);
    fd_ = -1;
    if (file_io::replace_file(temporary, path_) != 0) {
      done = io_error("cannot replace catalog", path_);
      fd_ = file_io::open_file(path_, O_RDWR);
    }
  }
  if (!done.ok()) {
    ::close(fd);
    (void)::unlink(temporary.c_str());
    return done;
  }
  // Renamed: the new file is the catalog whatever happens next, and this
  // descriptor is it.
  Status synced = journal::sync_parent_directory(path_);
  fd_ = fd;
  size_ = bytes.size();
  records_ = records;
  next_compaction_ = std::max<uint64_t>(limits_.compact_after_records, 2 * records);
  ++compactions_;
  return synced;
}

bool Catalog::trim() {
  if (parts_.size() <= limits_.max_parts) return false;
  const size_t keep = limits_.max_parts - std::min(limits_.max_parts, limits_.max_parts / 100);
  std::vector<std::pair<std::tuple<bool, int64_t>, Key>> order;
  order.reserve(parts_.size());
  for (const auto& [key, part] : parts_) order.push_back({{!settled(part.state), unix_ns_of(part.start)}, key});
  const size_t drop = parts_.size() - keep;
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(drop), order.end());
  for (size_t i = 0; i < drop; ++i) parts_.erase(order[i].second);
  return true;
}

std::vector<CatalogPart> Catalog::parts(std::string_view recording_id, size_t first, size_t max) const {
  MutexLock lock(parts_mutex_);
  std::vector<CatalogPart> out;
  auto it = recording_id.empty() ? parts_.begin() : parts_.lower_bound({std::string(recording_id), 0});
  const auto end = parts_.end();  // the lambda below is not seen to hold the lock
  auto in_range = [&] { return it != end && (recording_id.empty() || it->first.first == recording_id); };
  for (size_t skipped = 0; skipped < first && in_range(); ++skipped) ++it;
  if (recording_id.empty()) out.reserve(std::min(max, parts_.size()));
  for (; in_range() && out.size() < max; ++it) out.push_back(it->second);
  return out;
}

std::optional<CatalogPart> Catalog::find(std::string_view recording_id, uint32_t part) const {
  MutexLock lock(parts_mutex_);
  auto it = parts_.find({std::string(recording_id), part});
  if (it == parts_.end()) return std::nullopt;
  return it->second;
}

uint64_t Catalog::records_in_file() const {
  MutexLock lock(file_mutex_);
  return records_;
}

uint64_t Catalog::compactions() const {
  MutexLock lock(file_mutex_);
  return compactions_;
}

}  // namespace discrec::recorder
