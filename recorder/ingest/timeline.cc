#include "recorder/ingest/timeline.h"

#include <algorithm>

namespace discrec::recorder::ingest {

void Timeline::rebase(int64_t source_dts) {
  int64_t target = end_ == kNoTs ? 0 : end_;
  offset_ = target + kRebaseMargin - source_dts;
  need_rebase_ = false;
}

bool Timeline::map(size_t stream, bool continuous, int64_t& dts, int64_t& pts, int64_t duration) {
  if (stream >= last_dts_.size()) return false;
  if (dts == kNoTs) dts = pts;
  if (dts == kNoTs) return false;  // cannot place an unstamped packet
  if (need_rebase_) {
    if (!first_segment_) ++discontinuities_;
    first_segment_ = false;
    rebase(dts);
  }
  int64_t out = dts + offset_;
  int64_t last = last_dts_[stream];
  if (last != kNoTs) {
    bool jumped_back = out < last - kJump;
    bool jumped_forward = continuous && out > last + kForwardJump;
    if (jumped_back || jumped_forward) {
      ++discontinuities_;
      rebase(dts);
      out = dts + offset_;
    } else if (out <= last) {
      return false;
    }
  }
  if (pts != kNoTs) pts += offset_;
  if (pts != kNoTs && pts < out) pts = out;  // PTS never precedes DTS
  dts = out;
  last_dts_[stream] = out;
  end_ = std::max(end_ == kNoTs ? out : end_, out + std::max<int64_t>(duration, 0));
  return true;
}

}  // namespace discrec::recorder::ingest
