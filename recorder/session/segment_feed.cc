#include "recorder/session/segment_feed.h"

#include <cstring>
#include <utility>

namespace discrec::recorder {

// The part's TsSource: it produces nothing itself; it waits while the pool
// pushes through the feed, and says how the part ended.
class SegmentFeed::Source final : public TsSource {
 public:
  Source(std::shared_ptr<SegmentFeed> feed) : feed_(std::move(feed)) {}
  ~Source() override {
    // The sink dies with the part: no write may reach it afterwards.
    std::lock_guard lock(feed_->mutex_);
    feed_->sink_ = nullptr;
    feed_->stopped_ = true;
  }

  Status run() override {
    std::unique_lock lock(feed_->mutex_);
    feed_->cv_.wait(lock, [&] { return feed_->stopped_ || feed_->finished_.has_value(); });
    feed_->sink_ = nullptr;
    if (feed_->finished_) return *feed_->finished_;
    return Error(ErrorCode::kAborted, "stopped");
  }
  void stop() override {
    {
      std::lock_guard lock(feed_->mutex_);
      feed_->stopped_ = true;
    }
    feed_->cv_.notify_all();
  }
  std::optional<TimePoint> live_last_packet() const override {
    return feed_->live_last_packet_ ? feed_->live_last_packet_() : std::nullopt;
  }

 private:
  std::shared_ptr<SegmentFeed> feed_;
};

SegmentFeed::SegmentFeed(bool paced, std::function<std::optional<TimePoint>()> live_last_packet)
    : paced_(paced), live_last_packet_(std::move(live_last_packet)) {}

std::unique_ptr<TsSource> SegmentFeed::make_source(TsSink& sink) {
  std::shared_ptr<SegmentFeed> self = shared_from_this();
  {
    std::lock_guard lock(mutex_);
    sink_ = &sink;
  }
  return std::make_unique<Source>(std::move(self));
}

Status SegmentFeed::write_packets(std::span<const uint8_t> packets, bool gop_start) {
  std::lock_guard lock(mutex_);
  if (stopped_) return Error(ErrorCode::kAborted, "the part was stopped");
  if (finished_) return Error(ErrorCode::kAborted, "the part has ended");
  if (!sink_) return Error(ErrorCode::kUnavailable, "the part has not started");
  return sink_->write_packets(packets, gop_start);
}

void SegmentFeed::source_gap(TimePoint start, Nanos duration) {
  std::lock_guard lock(mutex_);
  if (sink_ && !stopped_ && !finished_) sink_->source_gap(start, duration);
}

void SegmentFeed::flush() {
  std::lock_guard lock(mutex_);
  if (sink_ && !stopped_ && !finished_) sink_->flush();
}

void SegmentFeed::finish(Status why) {
  {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    // What this part still holds back goes on now: nothing more comes.
    if (sink_ && !stopped_) sink_->flush();
    finished_ = std::move(why);
  }
  cv_.notify_all();
}

bool SegmentFeed::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

// --- SegmentSwitch ---

namespace {

uint16_t pid_of(const uint8_t* packet) { return static_cast<uint16_t>(((packet[1] & 0x1F) << 8) | packet[2]); }
bool unit_start(const uint8_t* packet) { return (packet[1] & 0x40) != 0; }

// The payload of a packet, after its adaptation field; empty if none.
std::span<const uint8_t> payload_of(const uint8_t* packet) {
  const uint8_t control = (packet[3] >> 4) & 0x3;
  size_t offset = 4;
  if (control == 0x2 || control == 0x0) return {};
  if (control == 0x3) offset += 1 + size_t{packet[4]};
  if (offset >= kTsPacketSize) return {};
  return {packet + offset, kTsPacketSize - offset};
}

// The first program's PMT PID from a PAT section that begins in this
// packet and fits in it; nullopt otherwise.
std::optional<uint16_t> pmt_pid_from_pat(const uint8_t* packet) {
  auto payload = payload_of(packet);
  if (payload.empty()) return std::nullopt;
  const size_t pointer = payload[0];
  if (1 + pointer + 8 > payload.size()) return std::nullopt;
  auto section = payload.subspan(1 + pointer);
  if (section[0] != 0x00) return std::nullopt;  // table_id: program_association_section
  const size_t length = ((section[1] & 0x0F) << 8) | section[2];
  if (length < 9 || 3 + length > section.size()) return std::nullopt;  // spans packets: not ours to repeat
  // Programs from byte 8 up to the CRC.
  for (size_t at = 8; at + 4 <= 3 + length - 4; at += 4) {
    const uint16_t program = static_cast<uint16_t>((section[at] << 8) | section[at + 1]);
    if (program == 0) continue;  // the network PID
    return static_cast<uint16_t>(((section[at + 2] & 0x1F) << 8) | section[at + 3]);
  }
  return std::nullopt;
}

// Whether a PMT section begins in this packet and fits in it.
bool whole_pmt(const uint8_t* packet) {
  auto payload = payload_of(packet);
  if (payload.empty()) return false;
  const size_t pointer = payload[0];
  if (1 + pointer + 3 > payload.size()) return false;
  auto section = payload.subspan(1 + pointer);
  if (section[0] != 0x02) return false;  // table_id: TS_program_map_section
  const size_t length = ((section[1] & 0x0F) << 8) | section[2];
  return 3 + length <= section.size();
}

}  // namespace

SegmentSwitch::SegmentSwitch(std::shared_ptr<SegmentFeed> first) : current_(std::move(first)) {}

void SegmentSwitch::arm(std::shared_ptr<SegmentFeed> next) {
  std::shared_ptr<SegmentFeed> replaced;
  {
    std::lock_guard lock(mutex_);
    replaced = std::exchange(next_, std::move(next));
  }
  armed_cv_.notify_all();
  if (replaced) replaced->finish({});
}

void SegmentSwitch::set_due(std::function<bool()> due) {
  std::lock_guard lock(mutex_);
  due_ = due ? std::make_shared<const std::function<bool()>>(std::move(due)) : nullptr;
}

void SegmentSwitch::hold_for_next(Nanos hold) {
  std::lock_guard lock(mutex_);
  hold_ = hold;
}

void SegmentSwitch::next_unavailable(bool none_coming) {
  {
    std::lock_guard lock(mutex_);
    none_coming_ = none_coming;
  }
  armed_cv_.notify_all();
}

bool SegmentSwitch::armed() const {
  std::lock_guard lock(mutex_);
  return next_ != nullptr;
}

uint32_t SegmentSwitch::parts_begun() const {
  std::lock_guard lock(mutex_);
  return parts_;
}

void SegmentSwitch::finish(const Status& why) {
  std::shared_ptr<SegmentFeed> current, next;
  {
    std::lock_guard lock(mutex_);
    current = current_;
    next = std::exchange(next_, nullptr);
  }
  if (current) current->finish(why);
  if (next) next->finish(why);
}

void SegmentSwitch::remember_tables(std::span<const uint8_t> packets) {
  for (size_t at = 0; at + kTsPacketSize <= packets.size(); at += kTsPacketSize) {
    const uint8_t* p = packets.data() + at;
    if (p[0] != 0x47 || !unit_start(p)) continue;
    const uint16_t pid = pid_of(p);
    std::array<uint8_t, kTsPacketSize> copy;
    if (pid == 0) {
      if (auto pmt = pmt_pid_from_pat(p)) {
        std::memcpy(copy.data(), p, kTsPacketSize);
        pat_ = copy;
        if (pmt_pid_ != *pmt) pmt_.reset();  // a new program: its PMT comes next
        pmt_pid_ = *pmt;
      }
    } else if (pmt_pid_ && pid == *pmt_pid_ && whole_pmt(p)) {
      std::memcpy(copy.data(), p, kTsPacketSize);
      pmt_ = copy;
    }
  }
}

std::vector<uint8_t> SegmentSwitch::program_tables() const {
  std::lock_guard lock(mutex_);
  std::vector<uint8_t> out;
  if (!pat_ || !pmt_) return out;
  out.insert(out.end(), pat_->begin(), pat_->end());
  out.insert(out.end(), pmt_->begin(), pmt_->end());
  return out;
}

std::shared_ptr<SegmentFeed> SegmentSwitch::switch_locked() {
  std::shared_ptr<SegmentFeed> previous = std::exchange(current_, std::exchange(next_, nullptr));
  due_.reset();
  ++parts_;
  return previous;
}

Status SegmentSwitch::write_packets(std::span<const uint8_t> packets, bool gop_start) {
  std::shared_ptr<SegmentFeed> current, previous;
  std::vector<uint8_t> tables;
  if (gop_start) {
    // Asked without the lock: it may look at the drive's state.
    std::shared_ptr<const std::function<bool()>> due;
    bool armed = false;
    {
      std::lock_guard lock(mutex_);
      armed = next_ != nullptr;
      due = due_;
    }
    const bool now_due = due && (*due)();
    std::unique_lock lock(mutex_);
    if (now_due && !next_ && hold_ > Nanos::zero() && !none_coming_) {
      // The disc is nearly full and the next part is not ready: wait here,
      // at a GOP start, rather than write past the end of the disc.
      armed_cv_.wait_for(lock, hold_, [&] { return next_ != nullptr || none_coming_; });
      armed = next_ != nullptr;
    }
    const bool go = armed && (!due || now_due);
    if (go && next_) previous = switch_locked();
  }
  {
    std::lock_guard lock(mutex_);
    current = current_;
  }
  if (previous) {
    // The earlier part ends before the GOP: its ring drains to its disc.
    previous->finish({});
    tables = program_tables();
  }
  // Remembered after the switch decision: tables arriving with this GOP go
  // to the new part anyway.
  {
    std::lock_guard lock(mutex_);
    remember_tables(packets);
  }
  if (!current) return Error(ErrorCode::kAborted, "the recording has ended");
  if (!tables.empty() && !(packets.size() >= kTsPacketSize && pid_of(packets.data()) == 0)) {
    // The new part opens with the program tables, then the key frame, all
    // in one GOP (the tables start it, so shedding never separates them).
    RETURN_IF_ERROR(current->write_packets(tables, true));
    return current->write_packets(packets, false);
  }
  Status written = current->write_packets(packets, gop_start);
  if (written.ok() || written.error().code() == ErrorCode::kAborted) return written;
  // The part cannot take more (its disc filled before the hand-over, its
  // writer failed): go on at once in the armed part rather than lose the
  // recording; the cut is mid-GOP, which is the lesser loss.
  {
    std::unique_lock lock(mutex_);
    if (!next_ && hold_ > Nanos::zero())
      armed_cv_.wait_for(lock, hold_, [&] { return next_ != nullptr || none_coming_; });
    if (!next_) return written;
    previous = switch_locked();
    current = current_;
  }
  previous->finish(written);
  tables = program_tables();
  if (!tables.empty()) RETURN_IF_ERROR(current->write_packets(tables, true));
  return current->write_packets(packets, tables.empty() ? true : false);
}

void SegmentSwitch::source_gap(TimePoint start, Nanos duration) {
  std::shared_ptr<SegmentFeed> current;
  {
    std::lock_guard lock(mutex_);
    current = current_;
  }
  if (current) current->source_gap(start, duration);
}

void SegmentSwitch::flush() {
  std::shared_ptr<SegmentFeed> current;
  {
    std::lock_guard lock(mutex_);
    current = current_;
  }
  if (current) current->flush();
}

}  // namespace discrec::recorder
