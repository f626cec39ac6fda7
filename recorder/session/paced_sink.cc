#include "recorder/session/paced_sink.h"

#include <thread>

namespace discrec::recorder {

Status PacedSink::write_packets(std::span<const uint8_t> packets, bool gop_start) {
  // Real time on purpose: this waits for the drive, which runs in real time
  // in the daemon. The ring fill is a lock-free snapshot read.
  while (!stopped_.load(std::memory_order_acquire) && !recording_->finished()) {
    RecordingStats s = recording_->stats();
    // Below the mark, the push goes whatever its size: the ring then holds
    // at least max_backlog (so the writer sees the stripe it waits for),
    // and a push larger than the mark cannot wait for ever.
    if (s.stopping || s.ring_fill < max_backlog_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return recording_->write_packets(packets, gop_start);
}

}  // namespace discrec::recorder
