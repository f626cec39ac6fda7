// The input side of ingest: URL classification, the interrupt gate that keeps
// every blocking FFmpeg call bounded, and opening a source with libavformat.
//
// Thread-safety: InterruptGate::should_interrupt() may be called from any
// thread (FFmpeg calls it from the I/O thread); arm()/disarm() from the
// ingest thread. InputSource is thread-bound.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "recorder/ingest/ingest.h"

extern "C" {
struct AVFormatContext;
struct AVPacket;
}

namespace discrec::recorder::ingest {

// "Connection refused (error -111)".
std::string av_error_text(int averror);

class InterruptGate {
 public:
  InterruptGate(Clock& clock, const std::atomic<bool>& stop) : clock_(clock), stop_(stop) {}
  // The next blocking call must finish within `timeout`.
  void arm(Nanos timeout);
  void disarm();
  // Called by FFmpeg (AVIOInterruptCB): true aborts the blocking call.
  bool should_interrupt();
  bool timed_out() const { return timed_out_.load(std::memory_order_acquire); }
  bool stopped() const { return stop_.load(std::memory_order_acquire); }
  static int callback(void* gate);  // AVIOInterruptCB::callback

 private:
  static constexpr int64_t kNoDeadline = INT64_MAX;
  Clock& clock_;
  const std::atomic<bool>& stop_;
  std::atomic<int64_t> deadline_ns_{kNoDeadline};
  std::atomic<bool> timed_out_{false};
};

class InputSource {
 public:
  // Opens and probes the source within `timeout` (options.open_timeout when
  // zero: a first open's later attempts get what is left of it; a timeout
  // is reported as options.open_timeout, the window they all share; no
  // timeout when listening). Errors: kTimeout, kAborted (stop), kNotFound,
  // kUnavailable, kInvalidArgument (not a recognisable stream).
  static Result<std::unique_ptr<InputSource>> open(const IngestOptions& options, SourceKind kind,
                                                   InterruptGate& gate, Nanos timeout = Nanos::zero());
  ~InputSource();
  AVFormatContext* context() const { return ctx_; }
  // av_read_frame.
  int read(AVPacket* packet);

 private:
  InputSource() = default;
  struct FdReader;
  AVFormatContext* ctx_ = nullptr;
  std::unique_ptr<FdReader> fd_reader_;
};

}  // namespace discrec::recorder::ingest
