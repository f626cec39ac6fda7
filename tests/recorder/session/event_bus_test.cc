#include "recorder/session/event_bus.h"

#include <gtest/gtest.h>

#include <thread>

namespace discrec::recorder {
namespace {

Event event(const std::string& drive, const std::string& message) {
  Event e;
  e.kind = EventKind::kDriveError;
  e.drive_id = drive;
  e.message = message;
  return e;
}

TEST(EventBusTest, DeliversToEverySubscriberWithItsFilter) {
  EventBus bus;
  auto all = bus.subscribe("");
  auto bd0 = bus.subscribe("bd0");
  bus.publish(event("bd0", "one"));
  bus.publish(event("dvd", "two"));
  auto a1 = all->next(std::chrono::milliseconds(10));
  auto a2 = all->next(std::chrono::milliseconds(10));
  ASSERT_TRUE(a1 && a2);
  EXPECT_EQ(a1->message, "one");
  EXPECT_EQ(a2->message, "two");
  auto b1 = bd0->next(std::chrono::milliseconds(10));
  ASSERT_TRUE(b1);
  EXPECT_EQ(b1->message, "one");
  EXPECT_FALSE(bd0->next(std::chrono::milliseconds(10)));
}

TEST(EventBusTest, ASlowSubscriberLosesTheOldestAndIsToldHowMany) {
  EventBus bus;
  auto slow = bus.subscribe("", 3);
  for (int i = 0; i < 10; ++i) bus.publish(event("bd0", std::to_string(i)));
  auto e = slow->next(std::chrono::milliseconds(10));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "7");
  EXPECT_EQ(e->dropped, 7u);
  EXPECT_EQ(slow->next(std::chrono::milliseconds(10))->dropped, 0u);
}

TEST(EventBusTest, DroppedSubscriptionsAreForgottenAndCloseWakesWaiters) {
  EventBus bus;
  {
    auto gone = bus.subscribe("");
    EXPECT_EQ(bus.subscriber_count(), 1u);
  }
  EXPECT_EQ(bus.subscriber_count(), 0u);
  auto waiting = bus.subscribe("");
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    bus.close_all();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(waiting->next(std::chrono::seconds(10)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(waiting->closed());
  closer.join();
}

TEST(EventBusTest, EventsAreNumberedAndTheHistoryIsReadInPages) {
  EventBus bus;
  for (int i = 0; i < 10; ++i) bus.publish(event(i % 2 ? "dvd" : "bd0", std::to_string(i)));
  EXPECT_EQ(bus.last_sequence(), 10u);
  EventHistoryQuery all;
  auto page = bus.history(all, 10, 4);
  ASSERT_EQ(page.size(), 4u);
  EXPECT_EQ(page[0].sequence, 1u);
  EXPECT_EQ(page[3].sequence, 4u);
  all.after_sequence = page.back().sequence;
  page = bus.history(all, 10, 100);
  ASSERT_EQ(page.size(), 6u);
  EXPECT_EQ(page.front().sequence, 5u);
  EXPECT_EQ(page.front().dropped, 0u);
  // Up to where a subscription began, and one drive only.
  EventHistoryQuery bd0;
  bd0.drive_filter = "bd0";
  page = bus.history(bd0, 6, 100);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[2].message, "4");
}

TEST(EventBusTest, ASubscriptionStartsRightAfterTheNumberItIsGiven) {
  EventBus bus;
  bus.publish(event("bd0", "before"));
  uint64_t last = 0;
  auto sub = bus.subscribe("", 16, &last);
  bus.publish(event("bd0", "after"));
  EXPECT_EQ(last, 1u);
  auto e = sub->next(std::chrono::milliseconds(10));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->sequence, 2u);
  EXPECT_EQ(bus.history({}, last, 100).size(), 1u);
}

TEST(EventBusTest, TheHistoryIsBoundedByCountAndAgeAndSaysWhatItForgot) {
  EventBus bus(EventHistoryLimits{5, std::chrono::hours(1)});
  for (int i = 0; i < 12; ++i) bus.publish(event("bd0", std::to_string(i)));
  auto page = bus.history({}, 12, 100);
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(page.front().sequence, 8u);
  EventHistoryQuery resume;
  resume.after_sequence = 3;  // 4..7 are gone
  page = bus.history(resume, 12, 100);
  ASSERT_FALSE(page.empty());
  EXPECT_EQ(page.front().sequence, 8u);
  EXPECT_EQ(page.front().dropped, 4u);

  Event old = event("bd0", "old");
  old.time = std::chrono::system_clock::now() - std::chrono::hours(2);
  EventBus aged(EventHistoryLimits{100, std::chrono::hours(1)});
  aged.publish(old);
  aged.publish(event("bd0", "new"));
  page = aged.history({}, 2, 100);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].message, "new");
  EventHistoryQuery since;
  since.since = std::chrono::system_clock::now() + std::chrono::minutes(1);
  EXPECT_TRUE(aged.history(since, 2, 100).empty());

  aged.set_history_limits({0, std::chrono::hours(1)});
  EXPECT_TRUE(aged.history({}, 2, 100).empty());
}

}  // namespace
}  // namespace discrec::recorder
