#include "recorder/ingest/gop_marker.h"

#include <cstring>
#include <string>

namespace discrec::recorder::ingest {
namespace {

constexpr uint8_t kSync = 0x47;

int pid_of(const uint8_t* p) { return ((p[1] & 0x1f) << 8) | p[2]; }

// Offset of the payload in a TS packet, or 0 if it has none.
size_t payload_offset(const uint8_t* p) {
  int afc = (p[3] >> 4) & 3;
  if (!(afc & 1)) return 0;
  size_t off = 4;
  if (afc & 2) off += 1 + size_t{p[4]};
  return off < kTsPacketSize ? off : 0;
}

}  // namespace

bool is_random_access_start(std::span<const uint8_t, kTsPacketSize> packet, int pid) {
  const uint8_t* p = packet.data();
  if (p[0] != kSync || !(p[1] & 0x40) || pid_of(p) != pid) return false;
  int afc = (p[3] >> 4) & 3;
  if (!(afc & 2) || p[4] == 0) return false;
  return (p[5] & 0x40) != 0;
}

std::optional<int64_t> pes_start_pts(std::span<const uint8_t, kTsPacketSize> packet) {
  const uint8_t* p = packet.data();
  if (p[0] != kSync || !(p[1] & 0x40)) return std::nullopt;
  size_t off = payload_offset(p);
  if (off == 0 || off + 14 > kTsPacketSize) return std::nullopt;
  const uint8_t* pes = p + off;
  if (pes[0] != 0 || pes[1] != 0 || pes[2] != 1) return std::nullopt;
  if (!(pes[7] & 0x80)) return std::nullopt;  // PTS_DTS_flags: no PTS
  const uint8_t* t = pes + 9;
  return (int64_t{t[0] & 0x0e} << 29) | (int64_t{t[1]} << 22) | (int64_t{t[2] & 0xfe} << 14) |
         (int64_t{t[3]} << 7) | (int64_t{t[4]} >> 1);
}

bool GopMarker::marks(std::span<const uint8_t, kTsPacketSize> packet) {
  if (!is_random_access_start(packet, mark_pid_)) return false;
  if (min_interval_ <= 0) return true;
  auto pts = pes_start_pts(packet);
  if (!pts) return false;
  if (last_mark_pts_ && *pts >= *last_mark_pts_ && *pts - *last_mark_pts_ < min_interval_) {
    return false;
  }
  last_mark_pts_ = pts;
  return true;
}

Status GopMarker::emit(const uint8_t* data, size_t packets) {
  if (packets == 0) return ok_status();
  bool gop = next_is_gop_;
  next_is_gop_ = false;
  ts_packets_ += packets;
  if (gop) ++gop_starts_;
  return sink_.write_packets(std::span<const uint8_t>(data, packets * kTsPacketSize), gop);
}

Status GopMarker::consume_whole(const uint8_t* data, size_t packets) {
  size_t run_start = 0;
  for (size_t i = 0; i < packets; ++i) {
    const uint8_t* p = data + i * kTsPacketSize;
    if (p[0] != kSync) {
      return Error(ErrorCode::kInternal,
                   "muxer output lost MPEG-TS sync at packet " + std::to_string(ts_packets_ + i));
    }
    if (marks(std::span<const uint8_t, kTsPacketSize>(p, kTsPacketSize))) {
      RETURN_IF_ERROR(emit(data + run_start * kTsPacketSize, i - run_start));
      run_start = i;
      next_is_gop_ = true;
    }
  }
  return emit(data + run_start * kTsPacketSize, packets - run_start);
}

Status GopMarker::consume(const uint8_t* data, size_t size) {
  if (carry_len_ > 0) {
    size_t take = std::min(size, kTsPacketSize - carry_len_);
    std::memcpy(carry_.data() + carry_len_, data, take);
    carry_len_ += take;
    data += take;
    size -= take;
    if (carry_len_ < kTsPacketSize) return ok_status();
    carry_len_ = 0;
    RETURN_IF_ERROR(consume_whole(carry_.data(), 1));
  }
  size_t whole = size / kTsPacketSize;
  RETURN_IF_ERROR(consume_whole(data, whole));
  size_t rest = size - whole * kTsPacketSize;
  std::memcpy(carry_.data(), data + whole * kTsPacketSize, rest);
  carry_len_ = rest;
  return ok_status();
}

}  // namespace discrec::recorder::ingest
