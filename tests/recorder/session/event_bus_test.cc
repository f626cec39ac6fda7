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

}  // namespace
}  // namespace discrec::recorder
