// What the session's own tests need instead of FFmpeg and real time: a
// TsSourceFactory whose sources make MPEG-TS-sized packets at a declared
// bitrate, and a clock that jumps through short waits but holds long ones
// until the test lets them go (a 60 s FORMAT UNIT, a hung command).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <unistd.h>

#include "base/clock.h"
#include "recorder/ts_source.h"

namespace discrec::test {

// A live source: `bitrate_bps` of 188-byte packets (sync byte, a PID, a
// counter) in real time, a GOP start every half second, until stopped or
// `total_bytes` are sent (0: until stopped). With bitrate_bps 0, a file:
// `total_bytes` as fast as the sink takes them, a GOP every 2048 packets.
class SyntheticSource final : public recorder::TsSource {
 public:
  SyntheticSource(recorder::TsSink& sink, uint64_t bitrate_bps, uint64_t total_bytes)
      : sink_(sink), bitrate_bps_(bitrate_bps), total_bytes_(total_bytes / 188 * 188) {}

  Status run() override {
    using namespace std::chrono;
    const auto start = steady_clock::now();
    uint64_t sent = 0, packets = 0;
    const bool file = bitrate_bps_ == 0;
    const uint64_t per_gop = file ? 2048 : std::max<uint64_t>(1, bitrate_bps_ / 8 / 2 / 188);
    std::vector<uint8_t> buffer;
    while (!stopped_.load(std::memory_order_acquire)) {
      const double seconds = duration<double>(steady_clock::now() - start).count();
      uint64_t due = static_cast<uint64_t>(seconds * static_cast<double>(bitrate_bps_) / 8.0) / 188 * 188;
      if (total_bytes_) due = std::min(due, total_bytes_);
      if (file) due = total_bytes_;
      while (sent < due && !stopped_.load(std::memory_order_acquire)) {
        // Up to a GOP boundary, so each write can carry its flag.
        const uint64_t until_gop = per_gop - packets % per_gop;
        const uint64_t n = std::min<uint64_t>({(due - sent) / 188, until_gop, file ? 256 : UINT64_MAX});
        buffer.assign(n * 188, 0);
        for (uint64_t i = 0; i < n; ++i) {
          uint8_t* p = &buffer[i * 188];
          p[0] = 0x47;
          p[1] = 0x01;
          p[2] = 0x00;
          p[3] = static_cast<uint8_t>(0x10 | ((packets + i) & 0x0F));
          for (int b = 4; b < 188; ++b) p[b] = static_cast<uint8_t>(packets + i + b);
        }
        const bool gop_start = packets % per_gop == 0;
        if (Status s = sink_.write_packets(buffer, gop_start); !s.ok()) return s;
        sent += n * 188;
        packets += n;
        last_packet_ns_.store(SteadyClock::instance().now().time_since_epoch().count(), std::memory_order_release);
      }
      if (total_bytes_ && sent >= total_bytes_) {
        sink_.flush();
        return {};
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    sink_.flush();
    return Error(ErrorCode::kAborted, "stopped");
  }
  void stop() override { stopped_.store(true, std::memory_order_release); }
  std::optional<TimePoint> live_last_packet() const override {
    return TimePoint(Nanos(last_packet_ns_.load(std::memory_order_acquire)));
  }

 private:
  recorder::TsSink& sink_;
  const uint64_t bitrate_bps_;
  const uint64_t total_bytes_;
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> last_packet_ns_{0};
};

// Sources by URL: what a test registers (bitrate, bytes) is what a
// recording of that URL gets; anything else 2 Mbit/s until stopped.
class SyntheticSources final : public recorder::TsSourceFactory {
 public:
  struct Spec {
    uint64_t bitrate_bps = 2'000'000;
    uint64_t total_bytes = 0;
  };
  void add(const std::string& url, Spec spec) {
    std::lock_guard lock(mutex_);
    specs_[url] = spec;
  }
  Status validate_network_url(std::string_view) const override { return {}; }
  Result<std::unique_ptr<recorder::TsSource>> make(const recorder::TsSourceRequest& request, recorder::TsSink& sink,
                                                   Clock&) const override {
    Spec spec;
    {
      std::lock_guard lock(mutex_);
      if (auto it = specs_.find(request.url); it != specs_.end()) spec = it->second;
    }
    // An upload's pipe is the source's to close; the synthetic stream
    // stands in for what it would carry (paced like a file: PacedSink).
    if (request.input_fd >= 0) ::close(request.input_fd);
    return std::unique_ptr<recorder::TsSource>(
        std::make_unique<SyntheticSource>(sink, spec.bitrate_bps, spec.total_bytes));
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Spec> specs_;
};

// Simulated time that jumps through waits ending before the gate and holds
// the rest until open_gate(): an emulated drive on this clock answers
// ordinary commands at once, and its long ones (a FORMAT UNIT of 60 s, a
// command that hangs until its timeout) take as long as the test wants.
class GatedClock final : public Clock {
 public:
  explicit GatedClock(Nanos gate_after) : gate_(TimePoint{} + gate_after) {}
  TimePoint now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void sleep_until(TimePoint t) override {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return t <= gate_; });
    if (t > now_) now_ = t;
  }
  void open_gate() {
    {
      std::lock_guard lock(mutex_);
      gate_ = TimePoint::max();
    }
    cv_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  TimePoint now_{};
  TimePoint gate_;
};

}  // namespace discrec::test
