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

}  // namespace

std::vector<uint8_t> encode(const DiscBegin& r) {
  return Writer(RecordType::kDiscBegin)
      .str(r.drive_uri).str(r.vendor).str(r.product).str(r.revision)
      .u16(r.profile).u8(r.sequential ? 1 : 0)
      .u32(r.capacity_sectors).u32(r.unit_blocks).u32(r.block_size).u32(r.data_start).u32(r.data_limit)
      .i64(r.started_unix_ns)
      .finish();
}

std::vector<uint8_t> encode(const RecordingBegin& r) {
  return Writer(RecordType::kRecordingBegin)
      .u32(r.writer_id).str(r.id).str(r.title).str(r.source_url)
      .u32(static_cast<uint32_t>(r.priority)).i64(r.start_unix_ns)
      .finish();
}

std::vector<uint8_t> encode(uint32_t index, const RecordedExtent& r) {
  return Writer(RecordType::kRecordedExtent)
      .u32(r.recording_id).u32(index).u32(r.lba).u32(r.blocks)
      .u64(r.file_offset).u64(r.input_begin).u64(r.input_end).u64(r.length).u32(r.padding_bytes)
      .time(r.time_begin).time(r.time_end)
      .finish();
}

std::vector<uint8_t> encode(uint32_t index, const LostExtent& r) {
  return Writer(RecordType::kLostExtent)
      .u32(r.recording_id).u32(index).u32(r.lba).u32(r.blocks)
      .u64(r.file_offset).u64(r.input_begin).u64(r.input_end)
      .time(r.time_begin).time(r.time_end)
      .u8(static_cast<uint8_t>(r.code)).u8(r.sense.key).u8(r.sense.asc).u8(r.sense.ascq).str(r.message)
      .finish();
}

std::vector<uint8_t> encode(uint32_t index, const ShedRange& r) {
  return Writer(RecordType::kShedRange)
      .u32(r.recording_id).u32(index).u64(r.input_begin).u64(r.input_end).time(r.time_begin).time(r.time_end)
      .finish();
}

std::vector<uint8_t> encode(uint32_t writer_id, uint32_t index, const OverflowRange& r) {
  return Writer(RecordType::kOverflowRange)
      .u32(writer_id).u32(index).u64(r.input_position).u64(r.bytes).u32(r.gops)
      .time(r.time_begin).time(r.time_end)
      .finish();
}

std::vector<uint8_t> encode(const UnitCrcs& r) {
  Writer w(RecordType::kUnitCrcs);
  w.u32(r.first_lba).u32(r.unit_blocks).u32(static_cast<uint32_t>(r.crcs.size()));
  for (uint32_t c : r.crcs) w.u32(c);
  return w.finish();
}

std::vector<uint8_t> encode(const RecordingEnd& r) {
  return Writer(RecordType::kRecordingEnd).u32(r.writer_id).i64(r.end_unix_ns).str(r.error).finish();
}

std::vector<uint8_t> encode(const FinalizeBegin& r) {
  return Writer(RecordType::kFinalizeBegin)
      .str(r.volume_label).i64(r.finalized_unix_ns).u32(r.data_end).u8(r.close_disc ? 1 : 0)
      .u8(r.zero_fill_lost_extents ? 1 : 0)
      .finish();
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
        d.drive_uri = r.str();
        d.vendor = r.str();
        d.product = r.str();
        d.revision = r.str();
        d.profile = r.u16();
        d.sequential = r.u8() != 0;
        d.capacity_sectors = r.u32();
        d.unit_blocks = r.u32();
        d.block_size = r.u32();
        d.data_start = r.u32();
        d.data_limit = r.u32();
        d.started_unix_ns = r.i64();
        if (!r.ok()) return malformed(offset, "bad disc record");
        if (d.unit_blocks == 0 || d.block_size == 0 || d.data_start > d.data_limit)
          return malformed(offset, "impossible disc layout");
        state.disc = std::move(d);
        break;
      }
      case RecordType::kRecordingBegin: {
        if (!state.disc) return malformed(offset, "recording before the disc");
        RecordingBegin b;
        b.writer_id = r.u32();
        b.id = r.str();
        b.title = r.str();
        b.source_url = r.str();
        b.priority = static_cast<int32_t>(r.u32());
        b.start_unix_ns = r.i64();
        if (!r.ok()) return malformed(offset, "bad recording record");
        if (state.recordings.count(b.writer_id)) return malformed(offset, "recording begins twice");
        state.recordings[b.writer_id].begin = std::move(b);
        break;
      }
      case RecordType::kRecordedExtent: {
        RecordedExtent e;
        e.recording_id = r.u32();
        uint32_t index = r.u32();
        e.lba = r.u32();
        e.blocks = r.u32();
        e.file_offset = r.u64();
        e.input_begin = r.u64();
        e.input_end = r.u64();
        e.length = r.u64();
        e.padding_bytes = r.u32();
        e.time_begin = r.time();
        e.time_end = r.time();
        if (!r.ok() || index >= kMaxIndex) return malformed(offset, "bad extent record");
        ASSIGN_OR_RETURN(auto* rec, recording(e.recording_id));
        put_indexed(rec->recorded, index, e);
        break;
      }
      case RecordType::kLostExtent: {
        LostExtent e;
        e.recording_id = r.u32();
        uint32_t index = r.u32();
        e.lba = r.u32();
        e.blocks = r.u32();
        e.file_offset = r.u64();
        e.input_begin = r.u64();
        e.input_end = r.u64();
        e.time_begin = r.time();
        e.time_end = r.time();
        e.code = static_cast<ErrorCode>(r.u8());
        e.sense.key = r.u8();
        e.sense.asc = r.u8();
        e.sense.ascq = r.u8();
        e.message = r.str();
        if (!r.ok() || index >= kMaxIndex || e.code > ErrorCode::kInternal)
          return malformed(offset, "bad lost-extent record");
        ASSIGN_OR_RETURN(auto* rec, recording(e.recording_id));
        put_indexed(rec->lost, index, e);
        break;
      }
      case RecordType::kShedRange: {
        ShedRange s;
        s.recording_id = r.u32();
        uint32_t index = r.u32();
        s.input_begin = r.u64();
        s.input_end = r.u64();
        s.time_begin = r.time();
        s.time_end = r.time();
        if (!r.ok() || index >= kMaxIndex) return malformed(offset, "bad shed record");
        ASSIGN_OR_RETURN(auto* rec, recording(s.recording_id));
        put_indexed(rec->shed, index, s);
        break;
      }
      case RecordType::kOverflowRange: {
        const uint32_t writer_id = r.u32();
        const uint32_t index = r.u32();
        OverflowRange o;
        o.input_position = r.u64();
        o.bytes = r.u64();
        o.gops = r.u32();
        o.time_begin = r.time();
        o.time_end = r.time();
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
        e.writer_id = r.u32();
        e.end_unix_ns = r.i64();
        e.error = r.str();
        if (!r.ok()) return malformed(offset, "bad recording-end record");
        ASSIGN_OR_RETURN(auto* rec, recording(e.writer_id));
        rec->end = std::move(e);
        break;
      }
      case RecordType::kFinalizeBegin: {
        FinalizeBegin f;
        f.volume_label = r.str();
        f.finalized_unix_ns = r.i64();
        f.data_end = r.u32();
        f.close_disc = r.u8() != 0;
        if (r.remaining() > 0) f.zero_fill_lost_extents = r.u8() != 0;  // older journals end here
        if (!r.ok()) return malformed(offset, "bad finalize record");
        state.finalize = std::move(f);
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
