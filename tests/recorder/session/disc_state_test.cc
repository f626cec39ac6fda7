// The disc state machine's table: every transition, every refusal, and the
// header's picture of it.
#include "recorder/session/disc_state.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace discrec::recorder {
namespace {

constexpr DiscState kSettled[] = {DiscState::kNoMedium,  DiscState::kBlank,
                                  DiscState::kOpen,      DiscState::kRecording,
                                  DiscState::kFinalizeIncomplete, DiscState::kFinalized,
                                  DiscState::kBlocked};

// A machine in `state`: forced through the table's own rows.
DiscStateMachine machine_in(DiscState state) {
  DiscStateMachine m("bd0");
  auto go = [&](DiscRequest r, DiscState to) {
    Status begun = m.begin(r);
    EXPECT_TRUE(begun.ok()) << begun.error().to_string();
    Status settled = m.settle(to);
    EXPECT_TRUE(settled.ok()) << settled.error().to_string();
  };
  switch (state) {
    case DiscState::kNoMedium: break;
    case DiscState::kBlank: go(DiscRequest::kLoad, DiscState::kBlank); break;
    case DiscState::kFinalized: go(DiscRequest::kLoad, DiscState::kFinalized); break;
    case DiscState::kOpen: go(DiscRequest::kRecover, DiscState::kOpen); break;
    case DiscState::kBlocked: go(DiscRequest::kRecover, DiscState::kBlocked); break;
    case DiscState::kFinalizeIncomplete: go(DiscRequest::kRecover, DiscState::kFinalizeIncomplete); break;
    case DiscState::kRecording:
      go(DiscRequest::kLoad, DiscState::kBlank);
      go(DiscRequest::kStartRecording, DiscState::kRecording);
      break;
    default: ADD_FAILURE() << "not settled";
  }
  EXPECT_EQ(m.state(), state);
  return m;
}

const DiscTransition* row(DiscState from, DiscRequest request) {
  for (const auto& t : disc_transitions())
    if (t.request == request && contains(t.from, from)) return &t;
  return nullptr;
}

TEST(DiscStateMachine, EveryTransitionOfTheTableSettlesInEachOfItsOutcomesAndBackWhereItBegan) {
  int checked = 0;
  for (const auto& t : disc_transitions()) {
    for (DiscState from : kSettled) {
      if (!contains(t.from, from)) continue;
      for (DiscState to : kSettled) {
        DiscStateMachine m = machine_in(from);
        ASSERT_TRUE(m.begin(t.request).ok()) << disc_request_name(t.request) << " from " << disc_state_name(from);
        if (t.has_busy) {
          EXPECT_EQ(m.state(), t.busy);
          EXPECT_TRUE(is_busy(m.state()));
          // While it works, nothing else begins.
          Status second = m.begin(DiscRequest::kVerify);
          ASSERT_FALSE(second.ok());
          EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable);
          EXPECT_NE(second.error().message().find(disc_state_name(t.busy)), std::string::npos);
        }
        Status settled = m.settle(to);
        if (contains(t.to, to) || to == from) {
          EXPECT_TRUE(settled.ok()) << settled.error().to_string();
          EXPECT_EQ(m.state(), to);
        } else {
          ASSERT_FALSE(settled.ok()) << disc_request_name(t.request) << " from " << disc_state_name(from)
                                     << " settled in " << disc_state_name(to);
          EXPECT_EQ(settled.error().code(), ErrorCode::kInternal);
          m.abandon();
          EXPECT_EQ(m.state(), from);
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, static_cast<int>(disc_transitions().size()) * 7);
}

TEST(DiscStateMachine, EveryRequestTheTableLacksIsRefusedNamingTheStateAndTheRequest) {
  int refused = 0;
  for (DiscState from : kSettled) {
    for (int r = 0; r < kDiscRequestCount; ++r) {
      const auto request = static_cast<DiscRequest>(r);
      if (row(from, request) != nullptr) continue;
      DiscStateMachine m = machine_in(from);
      Status s = m.begin(request, "do this instead");
      ASSERT_FALSE(s.ok()) << disc_request_name(request) << " from " << disc_state_name(from);
      EXPECT_EQ(s.error().code(), ErrorCode::kFailedPrecondition);
      const std::string& text = s.error().message();
      EXPECT_NE(text.find(std::string("cannot ") + disc_request_name(request)), std::string::npos) << text;
      EXPECT_NE(text.find(std::string("while the disc is ") + disc_state_name(from)), std::string::npos) << text;
      EXPECT_NE(text.find("do this instead"), std::string::npos) << text;
      EXPECT_NE(text.find("bd0"), std::string::npos) << text;
      EXPECT_EQ(m.state(), from);
      ++refused;
    }
  }
  EXPECT_GT(refused, 30);
}

TEST(DiscStateMachine, ASettleWithoutARequestIsABug) {
  DiscStateMachine m("bd0");
  Status s = m.settle(DiscState::kBlank);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(m.state(), DiscState::kNoMedium);
}

TEST(DiscStateMachine, TheHeadersPictureIsTheTable) {
  const char* source_dir = std::getenv("DISCREC_SOURCE_DIR");  // set by ctest
  ASSERT_NE(source_dir, nullptr);
  std::ifstream in(std::string(source_dir) + "/recorder/session/disc_state.h");
  ASSERT_TRUE(in) << "cannot read disc_state.h";
  std::stringstream text;
  text << in.rdbuf();
  const std::string expected = describe_disc_transitions();
  EXPECT_NE(text.str().find(expected), std::string::npos)
      << "recorder/session/disc_state.h's table does not match kTransitions; it should read:\n"
      << expected;
}

}  // namespace
}  // namespace discrec::recorder
