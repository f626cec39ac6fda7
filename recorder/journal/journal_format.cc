#include "recorder/journal/journal_format.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace discrec::recorder::journal {
namespace {

constexpr size_t kHeaderBytes = 9;                 // length, crc, type
constexpr uint32_t kMaxPayload = 16u << 20;        // no record is near this
constexpr uint32_t kMaxString = 64u << 10;
constexpr uint32_t kMaxIndex = 1u << 24;           // extents per recording
constexpr uint32_t kMaxCrcsPerRecord = 1u << 20;

uint32_t crc_of(uint8_t type, std::span<const uint8_t> payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, &type, 1);
  if (!payload.empty()) crc = crc32(crc, payload.data(), static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

class Writer {
 public:
  explicit Writer(RecordType type) : type_(static_cast<uint8_t>(type)) {}
  Writer& u8(uint8_t v) { return raw(&v, 1); }
  Writer& u16(uint16_t v) { return le(v, 2); }
  Writer& u32(uint32_t v) { return le(v, 4); }
  Writer& u64(uint64_t v) { return le(v, 8); }
  Writer& i64(int64_t v) { return le(static_cast<uint64_t>(v), 8); }
  Writer& str(const std::string& s) {
    u32(static_cast<uint32_t>(std::min<size_t>(s.size(), kMaxString)));
    return raw(s.data(), std::min<size_t>(s.size(), kMaxString));
  }
  Writer& time(TimePoint t) { return i64(t.time_since_epoch().count()); }

  // The field codec (see record_fields below): each value as its type is
  // stored. A Reader has the same overloads, taking the values out.
  void field(const std::string& v) { str(v); }
  void field(bool v) { u8(v ? 1 : 0); }
  void field(uint8_t v) { u8(v); }
  void field(uint16_t v) { u16(v); }
  void field(uint32_t v) { u32(v); }
  void field(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void field(uint64_t v) { u64(v); }
  void field(int64_t v) { i64(v); }
  void field(TimePoint v) { time(v); }
  void field(ErrorCode v) { u8(static_cast<uint8_t>(v)); }
  template <typename... V>
  void operator()(const V&... values) {
    (field(values), ...);
  }
  // A last field older journals lack: always written.
  template <typename V>
  void trailing(const V& value) {
    field(value);
  }

  std::vector<uint8_t> finish() const {
    std::vector<uint8_t> out(kHeaderBytes + payload_.size());
    uint32_t length = static_cast<uint32_t>(payload_.size());
    uint32_t crc = crc_of(type_, payload_);
    for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(length >> (8 * i));
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(crc >> (8 * i));
    out[8] = type_;
    std::memcpy(out.data() + kHeaderBytes, payload_.data(), payload_.size());
    return out;
  }

 private:
  Writer& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) payload_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Writer& raw(const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    payload_.insert(payload_.end(), b, b + n);
    return *this;
  }
  uint8_t type_;
  std::vector<uint8_t> payload_;
};

// Bounds-checked reads; any overrun marks the reader bad instead of reading.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> p) : p_(p) {}
  bool ok() const { return ok_ && pos_ == p_.size(); }
  size_t remaining() const { return ok_ ? p_.size() - pos_ : 0; }
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint16_t u16() { return static_cast<uint16_t>(le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  int64_t i64() { return static_cast<int64_t>(le(8)); }
  TimePoint time() { return TimePoint(Nanos(i64())); }

  void field(std::string& v) { v = str(); }
  void field(bool& v) { v = u8() != 0; }
  void field(uint8_t& v) { v = u8(); }
  void field(uint16_t& v) { v = u16(); }
  void field(uint32_t& v) { v = u32(); }
  void field(int32_t& v) { v = static_cast<int32_t>(u32()); }
  void field(uint64_t& v) { v = u64(); }
  void field(int64_t& v) { v = i64(); }
  void field(TimePoint& v) { v = time(); }
  void field(ErrorCode& v) { v = static_cast<ErrorCode>(u8()); }
  template <typename... V>
  void operator()(V&... values) {
    (field(values), ...);
  }
  // A last field older journals lack: read when the record has it.
  template <typename V>
  void trailing(V& value) {
    if (remaining() > 0) field(value);
  }

  std::string str() {
    uint32_t n = u32();
    if (!ok_ || n > kMaxString || n > p_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(p_.data() + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  uint64_t le(size_t n) {
    if (!ok_ || n > p_.size() - pos_) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{p_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }
  std::span<const uint8_t> p_;
  size_t pos_ = 0;
  bool ok_ = true;
};

Error malformed(uint64_t offset, const std::string& what) {
  return Error(ErrorCode::kMalformedResponse, "journal record at byte " + std::to_string(offset) + ": " + what);
}

template <typename T>
void put_indexed(std::vector<T>& list, uint32_t index, T value) {
  if (list.size() <= index) list.resize(index + 1);
  list[index] = std::move(value);
}

// Each record's fields, in their order on disk, described once: `io` is a
// Writer (encode, R const) or a Reader (replay). `index` and `writer_id` are
// the record's place in its recording's lists, which the structs do not hold.
template <typename Io, typename R>
void disc_begin_fields(Io& io, R& d) {
  io(d.drive_uri, d.vendor, d.product, d.revision, d.profile, d.sequential, d.capacity_sectors, d.unit_blocks,
     d.block_size, d.data_start, d.data_limit, d.started_unix_ns);
}
template <typename Io, typename R>
void recording_begin_fields(Io& io, R& b) {
  io(b.writer_id, b.id, b.title, b.source_url, b.priority, b.start_unix_ns);
}
template <typename Io, typename R, typename Index>
void recorded_extent_fields(Io& io, R& e, Index& index) {
  io(e.recording_id, index, e.lba, e.blocks, e.file_offset, e.input_begin, e.input_end, e.length, e.padding_bytes,
     e.time_begin, e.time_end);
}
template <typename Io, typename R, typename Index>
void lost_extent_fields(Io& io, R& e, Index& index) {
  io(e.recording_id, index, e.lba, e.blocks, e.file_offset, e.input_begin, e.input_end, e.time_begin, e.time_end,
     e.code, e.sense.key, e.sense.asc, e.sense.ascq, e.message);
}
template <typename Io, typename R, typename Index>
void shed_range_fields(Io& io, R& s, Index& index) {
  io(s.recording_id, index, s.input_begin, s.input_end, s.time_begin, s.time_end);
}
template <typename Io, typename R, typename Index>
void overflow_range_fields(Io& io, R& o, Index& writer_id, Index& index) {
  io(writer_id, index, o.input_position, o.bytes, o.gops, o.time_begin, o.time_end);
}
template <typename Io, typename R>
void recording_end_fields(Io& io, R& e) {
  io(e.writer_id, e.end_unix_ns, e.error);
}
template <typename Io, typename R>
void finalize_begin_fields(Io& io, R& f) {
  io(f.volume_label, f.finalized_unix_ns, f.data_end, f.close_disc);
  io.trailing(f.zero_fill_lost_extents);
}

// encode(): one record of `type` with the fields `describe` lists.
template <typename Describe>
std::vector<uint8_t> record(RecordType type, Describe&& describe) {
  Writer w(type);
  describe(w);
  return w.finish();
}

}  // namespace

std::vector<uint8_t> encode(const DiscBegin& r) {
  return record(RecordType::kDiscBegin, [&](Writer& w) { disc_begin_fields(w, r); });
}

std::vector<uint8_t> encode(const RecordingBegin& r) {
  return record(RecordType::kRecordingBegin, [&](Writer& w) { recording_begin_fields(w, r); });
}

std::vector<uint8_t> encode(uint32_t index, const RecordedExtent& r) {
  return record(RecordType::kRecordedExtent, [&](Writer& w) { recorded_extent_fields(w, r, index); });
}

std::vector<uint8_t> encode(uint32_t index, const LostExtent& r) {
  return record(RecordType::kLostExtent, [&](Writer& w) { lost_extent_fields(w, r, index); });
}

std::vector<uint8_t> encode(uint32_t index, const ShedRange& r) {
  return record(RecordType::kShedRange, [&](Writer& w) { shed_range_fields(w, r, index); });
}

std::vector<uint8_t> encode(uint32_t writer_id, uint32_t index, const OverflowRange& r) {
  return record(RecordType::kOverflowRange, [&](Writer& w) { overflow_range_fields(w, r, writer_id, index); });
}

std::vector<uint8_t> encode(const UnitCrcs& r) {
  Writer w(RecordType::kUnitCrcs);
  w.u32(r.first_lba).u32(r.unit_blocks).u32(static_cast<uint32_t>(r.crcs.size()));
  for (uint32_t c : r.crcs) w.u32(c);
  return w.finish();
}

std::vector<uint8_t> encode(const RecordingEnd& r) {
  return record(RecordType::kRecordingEnd, [&](Writer& w) { recording_end_fields(w, r); });
}

std::vector<uint8_t> encode(const FinalizeBegin& r) {
  return record(RecordType::kFinalizeBegin, [&](Writer& w) { finalize_begin_fields(w, r); });
}

std::vector<uint8_t> encode(const AppendBase& r) {
  return record(RecordType::kAppendBase, [&](Writer& w) {
    w(r.volume_label, r.files, r.session_start, r.previous_session_start, r.partition_start);
  });
}

std::vector<uint8_t> encode_finalized(int64_t unix_ns) { return Writer(RecordType::kFinalized).i64(unix_ns).finish(); }

uint32_t UnitCrcLog::at(uint32_t lba) const {
  for (auto run = runs_.rbegin(); run != runs_.rend(); ++run) {
    if (lba < run->first_lba || (lba - run->first_lba) % run->unit_blocks != 0) continue;
    const uint64_t i = (lba - run->first_lba) / run->unit_blocks;
    if (i < run->crcs.size()) return run->crcs[i];
  }
  throw std::out_of_range("no checksum logged for the unit at LBA " + std::to_string(lba));
}

Result<JournalState> replay(std::span<const uint8_t> bytes) {
  JournalState state;
  size_t pos = 0;
  auto stop = [&](const std::string& why) {
    state.torn_tail = true;
    state.tail_problem = why + " at byte " + std::to_string(pos);
  };
  while (pos < bytes.size()) {
    // The zeroed space a journal file keeps past its records: a clean end
    // (a torn record in it is not all zeros, and is caught below).
    if (std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(pos), bytes.end(), [](uint8_t b) { return b == 0; }))
      break;
    if (bytes.size() - pos < kHeaderBytes) {
      stop("truncated record header");
      break;
    }
    const uint8_t* h = bytes.data() + pos;
    uint32_t length = uint32_t{h[0]} | uint32_t{h[1]} << 8 | uint32_t{h[2]} << 16 | uint32_t{h[3]} << 24;
    uint32_t crc = uint32_t{h[4]} | uint32_t{h[5]} << 8 | uint32_t{h[6]} << 16 | uint32_t{h[7]} << 24;
    uint8_t type = h[8];
    if (length > kMaxPayload || length > bytes.size() - pos - kHeaderBytes) {
      stop("truncated record");
      break;
    }
    auto payload = bytes.subspan(pos + kHeaderBytes, length);
    if (crc_of(type, payload) != crc) {
      stop("checksum mismatch");
      break;
    }
    const uint64_t offset = pos;
    Reader r(payload);
    auto recording = [&](uint32_t writer_id) -> Result<JournalRecording*> {
      auto it = state.recordings.find(writer_id);
      if (it == state.recordings.end()) return malformed(offset, "unknown recording " + std::to_string(writer_id));
      return &it->second;
    };
    switch (static_cast<RecordType>(type)) {
      case RecordType::kDiscBegin: {
        if (state.disc) return malformed(offset, "a second disc in one journal");
        DiscBegin d;
        disc_begin_fields(r, d);
        if (!r.ok()) return malformed(offset, "bad disc record");
        if (d.unit_blocks == 0 || d.block_size == 0 || d.data_start > d.data_limit)
          return malformed(offset, "impossible disc layout");
        state.disc = std::move(d);
        break;
      }
      case RecordType::kRecordingBegin: {
        if (!state.disc) return malformed(offset, "recording before the disc");
        RecordingBegin b;
        recording_begin_fields(r, b);
        if (!r.ok()) return malformed(offset, "bad recording record");
        if (state.recordings.count(b.writer_id)) return malformed(offset, "recording begins twice");
        state.recordings[b.writer_id].begin = std::move(b);
        break;
      }
      case RecordType::kRecordedExtent: {
        RecordedExtent e;
        uint32_t index = 0;
        recorded_extent_fields(r, e, index);
        if (!r.ok() || index >= kMaxIndex) return malformed(offset, "bad extent record");
        ASSIGN_OR_RETURN(auto* rec, recording(e.recording_id));
        put_indexed(rec->recorded, index, e);
        break;
      }
      case RecordType::kLostExtent: {
        LostExtent e;
        uint32_t index = 0;
        lost_extent_fields(r, e, index);
        if (!r.ok() || index >= kMaxIndex || e.code > ErrorCode::kInternal)
          return malformed(offset, "bad lost-extent record");
        ASSIGN_OR_RETURN(auto* rec, recording(e.recording_id));
        put_indexed(rec->lost, index, e);
        break;
      }
      case RecordType::kShedRange: {
        ShedRange s;
        uint32_t index = 0;
        shed_range_fields(r, s, index);
        if (!r.ok() || index >= kMaxIndex) return malformed(offset, "bad shed record");
        ASSIGN_OR_RETURN(auto* rec, recording(s.recording_id));
        put_indexed(rec->shed, index, s);
        break;
      }
      case RecordType::kOverflowRange: {
        uint32_t writer_id = 0, index = 0;
        OverflowRange o;
        overflow_range_fields(r, o, writer_id, index);
        if (!r.ok() || index >= kMaxIndex) return malformed(offset, "bad overflow record");
        ASSIGN_OR_RETURN(auto* rec, recording(writer_id));
        put_indexed(rec->overflows, index, o);
        break;
      }
      case RecordType::kUnitCrcs: {
        uint32_t first = r.u32();
        uint32_t unit = r.u32();
        uint32_t count = r.u32();
        if (count > kMaxCrcsPerRecord || unit == 0 || size_t{count} * 4 != payload.size() - 12)
          return malformed(offset, "bad checksum record");
        UnitCrcs crcs;
        crcs.first_lba = first;
        crcs.unit_blocks = unit;
        crcs.crcs.resize(count);
        for (uint32_t i = 0; i < count; ++i) crcs.crcs[i] = r.u32();
        if (!r.ok()) return malformed(offset, "bad checksum record");
        state.unit_crcs.add(std::move(crcs));
        break;
      }
      case RecordType::kRecordingEnd: {
        RecordingEnd e;
        recording_end_fields(r, e);
        if (!r.ok()) return malformed(offset, "bad recording-end record");
        ASSIGN_OR_RETURN(auto* rec, recording(e.writer_id));
        rec->end = std::move(e);
        break;
      }
      case RecordType::kFinalizeBegin: {
        FinalizeBegin f;
        finalize_begin_fields(r, f);  // older journals end before zero_fill_lost_extents
        if (!r.ok()) return malformed(offset, "bad finalize record");
        state.finalize = std::move(f);
        break;
      }
      case RecordType::kAppendBase: {
        if (!state.disc || state.append) return malformed(offset, "an append record out of place");
        AppendBase a;
        r(a.volume_label, a.files, a.session_start, a.previous_session_start, a.partition_start);
        if (!r.ok()) return malformed(offset, "bad append record");
        state.append = std::move(a);
        break;
      }
      case RecordType::kFinalized: {
        (void)r.i64();
        if (!r.ok()) return malformed(offset, "bad finalized record");
        state.finalized = true;
        break;
      }
      default:
        return malformed(offset, "unknown record type " + std::to_string(type));
    }
    pos += kHeaderBytes + length;
    state.valid_bytes = pos;
    ++state.records;
  }
  // Extents logged out of order leave holes only if the file was edited.
  for (auto& [id, rec] : state.recordings)
    for (const auto& e : rec.recorded)
      if (e.blocks == 0) return malformed(state.valid_bytes, "recording " + rec.begin.id + " has a hole in its extents");
  return state;
}

}  // namespace discrec::recorder::journal
