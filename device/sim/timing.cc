#include "device/sim/timing.h"

#include <algorithm>

namespace discrec::device::sim {

Nanos transfer_time(uint64_t bytes, uint64_t bytes_per_second) {
  if (bytes_per_second == 0) return Nanos{0};
  unsigned __int128 ns = static_cast<unsigned __int128>(bytes) * 1'000'000'000u / bytes_per_second;
  return Nanos{static_cast<int64_t>(ns)};
}

TimePoint TimingModel::write(TimePoint now, uint32_t lba, uint64_t bytes, uint64_t rate, bool calibrate) {
  if (!params_.enabled) return now;
  TimePoint media_start = std::max({now, media_done_, stalled_until_});
  if (next_lba_ != lba) media_start += params_.seek;
  if (calibrate) media_start += params_.opc;
  media_done_ = media_start + transfer_time(bytes, rate);
  drain_rate_ = std::max<uint64_t>(rate, 1);
  next_lba_ = uint64_t{lba} + bytes / 2048;
  // The command is done when its last byte fits in the buffer: the media
  // must have drained all but `buffer_bytes` of what is queued.
  TimePoint transferred = now + transfer_time(bytes, params_.host_bytes_per_second);
  TimePoint room = media_done_ - transfer_time(params_.buffer_bytes, drain_rate_);
  return std::max(transferred, room);
}

TimePoint TimingModel::read(TimePoint now, uint32_t lba, uint64_t bytes, uint64_t rate) {
  if (!params_.enabled) return now;
  TimePoint start = std::max({now, media_done_, stalled_until_});
  if (next_lba_ != lba) start += params_.seek;
  next_lba_ = uint64_t{lba} + bytes / 2048;
  media_done_ = start + transfer_time(bytes, rate);
  return media_done_;
}

TimePoint TimingModel::media_idle_at(TimePoint now) const {
  if (!params_.enabled) return now;
  return std::max(now, media_done_);
}

void TimingModel::stall(TimePoint at, Nanos length) {
  if (!params_.enabled) return;
  if (media_done_ > at) media_done_ += length;
  stalled_until_ = std::max(stalled_until_, at + length);
}

uint64_t TimingModel::buffer_fill(TimePoint now) const {
  if (!params_.enabled || media_done_ <= now) return 0;
  unsigned __int128 bytes =
      static_cast<unsigned __int128>((media_done_ - now).count()) * drain_rate_ / 1'000'000'000u;
  return static_cast<uint64_t>(std::min<unsigned __int128>(bytes, params_.buffer_bytes));
}

void TimingModel::reset(TimePoint now) {
  media_done_ = std::min(media_done_, now);
  next_lba_ = UINT64_MAX;
}

}  // namespace discrec::device::sim
