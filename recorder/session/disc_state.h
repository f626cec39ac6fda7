// The disc state machine of one drive: the only code that changes a drive's
// disc state. A request (load, format, record, finalize, ...) begins from a
// settled state, passes through its busy state while the drive works, and
// settles in one of the outcomes the table allows for it; a request that
// fails settles back where it began. Anything else is refused with an error
// naming the state and the request.
//
// The table, as text (a test checks this block against kTransitions):
//
//   no medium         ─medium changed─▶ finalized | no medium | blank
//   blank             ─medium changed─▶ finalized | no medium | blank
//   finalized         ─medium changed─▶ finalized | no medium | blank
//   no medium         ─load─▶ [loading] ─▶ finalized | no medium | blank
//   blank             ─load─▶ [loading] ─▶ finalized | no medium | blank
//   finalized         ─load─▶ [loading] ─▶ finalized | no medium | blank
//   blocked           ─load─▶ [loading] ─▶ open | finalized | blocked | no medium | blank
//   open              ─load─▶ [loading] ─▶ open
//   recording         ─load─▶ [loading] ─▶ recording
//   no medium         ─eject─▶ [ejecting] ─▶ no medium
//   blank             ─eject─▶ [ejecting] ─▶ no medium
//   finalized         ─eject─▶ [ejecting] ─▶ no medium
//   blocked           ─eject─▶ [ejecting] ─▶ blocked
//   no medium         ─format─▶ [formatting] ─▶ no medium | blank
//   blank             ─format─▶ [formatting] ─▶ no medium | blank
//   finalized         ─format─▶ [formatting] ─▶ no medium | blank
//   blank             ─prepare─▶ [preparing] ─▶ blank
//   finalized         ─prepare─▶ [preparing] ─▶ finalized
//   open              ─prepare─▶ [preparing] ─▶ open
//   blank             ─record─▶ [starting a recording] ─▶ recording
//   finalized         ─record─▶ [starting a recording] ─▶ recording
//   open              ─record─▶ [starting a recording] ─▶ recording
//   recording         ─record─▶ [starting a recording] ─▶ recording
//   recording         ─stop─▶ [stopping a recording] ─▶ recording
//   open              ─finalize─▶ [finalizing] ─▶ finalized | finalize incomplete
//   recording         ─finalize─▶ [finalizing] ─▶ finalized | finalize incomplete
//   finalize incomplete ─finalize─▶ [finalizing] ─▶ finalized | finalize incomplete
//   open              ─verify─▶ [verifying] ─▶ open
//   recording         ─verify─▶ [verifying] ─▶ recording
//   finalize incomplete ─verify─▶ [verifying] ─▶ finalize incomplete
//   finalized         ─verify─▶ [verifying] ─▶ finalized
//   finalized         ─delete─▶ [deleting files] ─▶ finalized
//   no medium         ─recover─▶ [recovering] ─▶ open | finalized | finalize incomplete | blocked | no medium | blank
//   blank             ─recover─▶ [recovering] ─▶ open | finalized | finalize incomplete | blocked | no medium | blank
//   finalized         ─recover─▶ [recovering] ─▶ open | finalized | finalize incomplete | blocked | no medium | blank
//   no medium         ─forget─▶ no medium
//   blank             ─forget─▶ no medium
//   finalized         ─forget─▶ no medium
//
// "finalized ─record─▶": a rewritable disc whose volume discrec can add to
// (the session says why not otherwise); "delete" takes recordings off it.
// "open": a disc kept open across a restart, no writer yet (the next
// recording starts one after what is on it). "recording": the writer runs
// (also when it has stopped at the end of the disc or after a drive
// failure; it then refuses new recordings and says why). "blocked": a
// journal names a disc that is not in the drive, or cannot be read; load
// (after `discrecd forget-disc`, or with that disc) looks again.
//
// Thread-safety: not thread-safe; owned by the drive's command thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace discrec::recorder {

enum class DiscState : uint8_t {
  // Settled.
  kNoMedium,
  kBlank,
  kOpen,
  kRecording,
  kFinalizeIncomplete,
  kFinalized,
  kBlocked,
  // Busy: a request in progress.
  kLoading,
  kEjecting,
  kFormatting,
  kPreparing,
  kStartingRecording,
  kStoppingRecording,
  kFinalizing,
  kVerifying,
  kRecovering,
  kDeleting,
};
constexpr int kDiscStateCount = 17;

enum class DiscRequest : uint8_t {
  kMediumChanged,  // a probe saw the medium come or go (no busy state)
  kLoad,
  kEject,
  kFormat,
  kPrepare,
  kStartRecording,
  kStopRecording,
  kFinalize,
  kVerify,
  kRecover,
  kForget,  // the session drops what it knew of the disc (no busy state)
  kDelete,  // files taken off a rewritable disc's volume
};
constexpr int kDiscRequestCount = 12;

const char* disc_state_name(DiscState state);
const char* disc_request_name(DiscRequest request);
bool is_busy(DiscState state);
// Long operations refuse control calls while they run (kUnavailable, try
// again) instead of queueing them for minutes.
bool refuses_controls(DiscState busy);

// A set of states, as bits.
using DiscStates = uint32_t;
constexpr DiscStates states_of(std::initializer_list<DiscState> list) {
  DiscStates s = 0;
  for (DiscState d : list) s |= DiscStates{1} << static_cast<int>(d);
  return s;
}
constexpr bool contains(DiscStates set, DiscState s) { return (set >> static_cast<int>(s)) & 1; }

struct DiscTransition {
  DiscStates from;
  DiscRequest request;
  DiscState busy;  // == a state in `from` for requests without a busy state
  DiscStates to;   // where it may settle; failing, it settles where it began
  bool has_busy = true;
};

// The whole table.
std::span<const DiscTransition> disc_transitions();
// The table as the header's text block, one line per (from, request).
std::string describe_disc_transitions();

class DiscStateMachine {
 public:
  explicit DiscStateMachine(std::string drive_id) : drive_id_(std::move(drive_id)) {}

  DiscState state() const { return state_; }
  // The settled state a request began from (== state() when settled).
  DiscState settled() const { return is_busy(state_) ? from_ : state_; }

  // Starts `request`: enters its busy state, or for a request without one
  // checks it is allowed. kFailedPrecondition naming the state and the
  // request if the table has no row for it (`hint`, if given, says what to
  // do instead); kUnavailable if another request is in progress.
  Status begin(DiscRequest request, const std::string& hint = "");
  // Ends the request in progress in `to`: one of its outcomes, or the state
  // it began from (a failure). kInternal otherwise (the state is then
  // unchanged: the request's own state, which a following settle ends).
  Status settle(DiscState to);
  // Ends the request in progress where it began (it failed or did nothing).
  void abandon();
  // For a request without a busy state: begin + settle in one step.
  Status apply(DiscRequest request, DiscState to);

 private:
  const DiscTransition* find(DiscState from, DiscRequest request) const;

  std::string drive_id_;
  DiscState state_ = DiscState::kNoMedium;
  DiscState from_ = DiscState::kNoMedium;
  const DiscTransition* current_ = nullptr;
};

}  // namespace discrec::recorder
