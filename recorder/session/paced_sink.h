// PacedSink: backpressure for sources that are not live (a file, a pipe).
//
// A live source arrives at its own rate, and when the drive falls behind the
// writer sheds whole GOPs on purpose. A file can be read far faster than any
// drive writes; shedding it would throw away data that could simply wait. So
// for files and pipes, ingest waits while the recording's ring holds
// `max_backlog` bytes or more (so it holds up to one push beyond): the reader
// goes at the drive's pace and nothing is shed (and other recordings never
// see this one's backlog).
//
// Thread-safety: as TsSink, called from the one ingest thread; stop() from any.
#pragma once

#include <atomic>
#include <memory>

#include "recorder/core/recording.h"
#include "recorder/ts_sink.h"

namespace discrec::recorder {

class PacedSink final : public TsSink {
 public:
  PacedSink(std::shared_ptr<Recording> recording, uint64_t max_backlog)
      : recording_(std::move(recording)), max_backlog_(max_backlog) {}

  Status write_packets(std::span<const uint8_t> packets, bool gop_start) override;
  void source_gap(TimePoint start, Nanos duration) override { recording_->source_gap(start, duration); }
  void flush() override { recording_->flush(); }
  // Ends any wait at once (the recording is being stopped).
  void stop() { stopped_.store(true, std::memory_order_release); }

 private:
  std::shared_ptr<Recording> recording_;
  const uint64_t max_backlog_;
  std::atomic<bool> stopped_{false};
};

}  // namespace discrec::recorder
