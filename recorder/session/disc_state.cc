#include "recorder/session/disc_state.h"

#include <array>

namespace discrec::recorder {
namespace {

using S = DiscState;
using R = DiscRequest;

constexpr DiscStates kIdle = states_of({S::kNoMedium, S::kBlank, S::kFinalized});
constexpr DiscStates kRecoverOutcomes =
    states_of({S::kOpen, S::kFinalized, S::kFinalizeIncomplete, S::kBlocked, S::kNoMedium, S::kBlank});

// One row per (from, request); the order is the header's.
constexpr std::array kTable{
    DiscTransition{states_of({S::kNoMedium}), R::kMediumChanged, S::kNoMedium, kIdle, false},
    DiscTransition{states_of({S::kBlank}), R::kMediumChanged, S::kBlank, kIdle, false},
    DiscTransition{states_of({S::kFinalized}), R::kMediumChanged, S::kFinalized, kIdle, false},
    DiscTransition{states_of({S::kNoMedium}), R::kLoad, S::kLoading, kIdle},
    DiscTransition{states_of({S::kBlank}), R::kLoad, S::kLoading, kIdle},
    DiscTransition{states_of({S::kFinalized}), R::kLoad, S::kLoading, kIdle},
    DiscTransition{states_of({S::kBlocked}), R::kLoad, S::kLoading,
                   states_of({S::kBlocked, S::kOpen, S::kFinalized, S::kNoMedium, S::kBlank})},
    DiscTransition{states_of({S::kOpen}), R::kLoad, S::kLoading, states_of({S::kOpen})},
    DiscTransition{states_of({S::kRecording}), R::kLoad, S::kLoading, states_of({S::kRecording})},
    DiscTransition{states_of({S::kNoMedium}), R::kEject, S::kEjecting, states_of({S::kNoMedium})},
    DiscTransition{states_of({S::kBlank}), R::kEject, S::kEjecting, states_of({S::kNoMedium})},
    DiscTransition{states_of({S::kFinalized}), R::kEject, S::kEjecting, states_of({S::kNoMedium})},
    DiscTransition{states_of({S::kBlocked}), R::kEject, S::kEjecting, states_of({S::kBlocked})},
    DiscTransition{states_of({S::kNoMedium}), R::kFormat, S::kFormatting, states_of({S::kBlank, S::kNoMedium})},
    DiscTransition{states_of({S::kBlank}), R::kFormat, S::kFormatting, states_of({S::kBlank, S::kNoMedium})},
    DiscTransition{states_of({S::kFinalized}), R::kFormat, S::kFormatting, states_of({S::kBlank, S::kNoMedium})},
    DiscTransition{states_of({S::kBlank}), R::kPrepare, S::kPreparing, states_of({S::kBlank})},
    DiscTransition{states_of({S::kFinalized}), R::kPrepare, S::kPreparing, states_of({S::kFinalized})},
    DiscTransition{states_of({S::kOpen}), R::kPrepare, S::kPreparing, states_of({S::kOpen})},
    DiscTransition{states_of({S::kBlank}), R::kStartRecording, S::kStartingRecording, states_of({S::kRecording})},
    DiscTransition{states_of({S::kFinalized}), R::kStartRecording, S::kStartingRecording, states_of({S::kRecording})},
    DiscTransition{states_of({S::kOpen}), R::kStartRecording, S::kStartingRecording, states_of({S::kRecording})},
    DiscTransition{states_of({S::kRecording}), R::kStartRecording, S::kStartingRecording,
                   states_of({S::kRecording})},
    DiscTransition{states_of({S::kRecording}), R::kStopRecording, S::kStoppingRecording,
                   states_of({S::kRecording})},
    DiscTransition{states_of({S::kOpen}), R::kFinalize, S::kFinalizing,
                   states_of({S::kFinalized, S::kFinalizeIncomplete})},
    DiscTransition{states_of({S::kRecording}), R::kFinalize, S::kFinalizing,
                   states_of({S::kFinalized, S::kFinalizeIncomplete})},
    DiscTransition{states_of({S::kFinalizeIncomplete}), R::kFinalize, S::kFinalizing,
                   states_of({S::kFinalized, S::kFinalizeIncomplete})},
    DiscTransition{states_of({S::kOpen}), R::kVerify, S::kVerifying, states_of({S::kOpen})},
    DiscTransition{states_of({S::kRecording}), R::kVerify, S::kVerifying, states_of({S::kRecording})},
    DiscTransition{states_of({S::kFinalizeIncomplete}), R::kVerify, S::kVerifying,
                   states_of({S::kFinalizeIncomplete})},
    DiscTransition{states_of({S::kFinalized}), R::kVerify, S::kVerifying, states_of({S::kFinalized})},
    DiscTransition{states_of({S::kFinalized}), R::kDelete, S::kDeleting, states_of({S::kFinalized})},
    DiscTransition{states_of({S::kNoMedium}), R::kRecover, S::kRecovering, kRecoverOutcomes},
    DiscTransition{states_of({S::kBlank}), R::kRecover, S::kRecovering, kRecoverOutcomes},
    DiscTransition{states_of({S::kFinalized}), R::kRecover, S::kRecovering, kRecoverOutcomes},
    DiscTransition{states_of({S::kNoMedium}), R::kForget, S::kNoMedium, states_of({S::kNoMedium}), false},
    DiscTransition{states_of({S::kBlank}), R::kForget, S::kBlank, states_of({S::kNoMedium}), false},
    DiscTransition{states_of({S::kFinalized}), R::kForget, S::kFinalized, states_of({S::kNoMedium}), false},
};

// The order states are listed in as outcomes: the header's.
constexpr std::array kOutcomeOrder{S::kOpen,    S::kRecording, S::kFinalized, S::kFinalizeIncomplete,
                                   S::kBlocked, S::kNoMedium,  S::kBlank};

}  // namespace

const char* disc_state_name(DiscState state) {
  switch (state) {
    case S::kNoMedium: return "no medium";
    case S::kBlank: return "blank";
    case S::kOpen: return "open";
    case S::kRecording: return "recording";
    case S::kFinalizeIncomplete: return "finalize incomplete";
    case S::kFinalized: return "finalized";
    case S::kBlocked: return "blocked";
    case S::kLoading: return "loading";
    case S::kEjecting: return "ejecting";
    case S::kFormatting: return "formatting";
    case S::kPreparing: return "preparing";
    case S::kStartingRecording: return "starting a recording";
    case S::kStoppingRecording: return "stopping a recording";
    case S::kFinalizing: return "finalizing";
    case S::kVerifying: return "verifying";
    case S::kRecovering: return "recovering";
    case S::kDeleting: return "deleting files";
  }
  return "unknown";
}

const char* disc_request_name(DiscRequest request) {
  switch (request) {
    case R::kMediumChanged: return "medium changed";
    case R::kLoad: return "load";
    case R::kEject: return "eject";
    case R::kFormat: return "format";
    case R::kPrepare: return "prepare";
    case R::kStartRecording: return "record";
    case R::kStopRecording: return "stop";
    case R::kFinalize: return "finalize";
    case R::kVerify: return "verify";
    case R::kRecover: return "recover";
    case R::kForget: return "forget";
    case R::kDelete: return "delete";
  }
  return "unknown";
}

bool is_busy(DiscState state) { return static_cast<int>(state) >= static_cast<int>(S::kLoading); }

bool refuses_controls(DiscState busy) {
  switch (busy) {
    case S::kLoading:
    case S::kEjecting:
    case S::kFormatting:
    case S::kFinalizing:
    case S::kVerifying:
    case S::kRecovering:
    case S::kDeleting:
      return true;
    default:
      return false;  // short: a control call waits its turn
  }
}

std::span<const DiscTransition> disc_transitions() { return kTable; }

std::string describe_disc_transitions() {
  std::string out;
  for (const auto& t : kTable) {
    std::string from;
    for (int s = 0; s < kDiscStateCount; ++s)
      if (contains(t.from, static_cast<S>(s))) from = disc_state_name(static_cast<S>(s));
    from.resize(std::max<size_t>(from.size(), 17), ' ');
    std::string line = "//   " + from + " ─" + disc_request_name(t.request) + "─▶ ";
    if (t.has_busy) line += std::string("[") + disc_state_name(t.busy) + "] ─▶ ";
    std::string to;
    for (S s : kOutcomeOrder)
      if (contains(t.to, s)) to += (to.empty() ? "" : " | ") + std::string(disc_state_name(s));
    out += line + to + "\n";
  }
  return out;
}

const DiscTransition* DiscStateMachine::find(DiscState from, DiscRequest request) const {
  for (const auto& t : kTable)
    if (t.request == request && contains(t.from, from)) return &t;
  return nullptr;
}

Status DiscStateMachine::begin(DiscRequest request, const std::string& hint) {
  if (is_busy(state_))
    return Error(ErrorCode::kUnavailable, "drive " + drive_id_ + " is busy " + disc_state_name(state_) +
                                              "; try again when that is done");
  const DiscTransition* t = find(state_, request);
  if (t == nullptr)
    return Error(ErrorCode::kFailedPrecondition, "drive " + drive_id_ + ": cannot " + disc_request_name(request) +
                                                     " while the disc is " + disc_state_name(state_) +
                                                     (hint.empty() ? "" : "; " + hint));
  from_ = state_;
  current_ = t;
  if (t->has_busy) state_ = t->busy;
  return {};
}

Status DiscStateMachine::settle(DiscState to) {
  if (current_ == nullptr)
    return Error(ErrorCode::kInternal, std::string("drive ") + drive_id_ + ": settling in " + disc_state_name(to) +
                                           " with no request in progress");
  if (to != from_ && !contains(current_->to, to))
    return Error(ErrorCode::kInternal, "drive " + drive_id_ + ": " + disc_request_name(current_->request) +
                                           " from " + disc_state_name(from_) + " may not end " +
                                           disc_state_name(to));
  state_ = to;
  current_ = nullptr;
  return {};
}

void DiscStateMachine::abandon() {
  if (current_ == nullptr) return;
  state_ = from_;
  current_ = nullptr;
}

Status DiscStateMachine::apply(DiscRequest request, DiscState to) {
  RETURN_IF_ERROR(begin(request));
  Status settled = settle(to);
  if (!settled.ok()) abandon();
  return settled;
}

}  // namespace discrec::recorder
