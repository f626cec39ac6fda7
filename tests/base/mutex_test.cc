// base/mutex.h: the annotated Mutex, MutexLock and CondVar behave like the
// std types they wrap. (That the analysis rejects a wrong lock is checked by
// the clang build: -Werror=thread-safety on every annotated library.)
#include "base/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace discrec {
namespace {

class Counter {
 public:
  void add() {
    MutexLock lock(mutex_);
    ++count_;
    cv_.notify_all();
  }
  bool try_add() {
    if (!mutex_.try_lock()) return false;
    MutexLock lock(mutex_, std::adopt_lock);
    ++count_;
    return true;
  }
  // Waits until count reaches `n` or `timeout` passes; the count then.
  int wait_for(int n, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(mutex_);
    while (count_ < n) {
      if (cv_.wait_until(mutex_, deadline) == std::cv_status::timeout) break;
    }
    return count_;
  }
  Mutex& mutex() RETURN_CAPABILITY(mutex_) { return mutex_; }

 private:
  Mutex mutex_;
  CondVar cv_;
  int count_ GUARDED_BY(mutex_) = 0;
};

TEST(MutexTest, TryLockAdoptsAndReleases) {
  Counter c;
  EXPECT_TRUE(c.try_add());
  EXPECT_TRUE(c.try_add());  // the adopted lock was released
  c.mutex().lock();
  std::thread other([&] { EXPECT_FALSE(c.try_add()); });
  other.join();
  c.mutex().unlock();
  EXPECT_EQ(c.wait_for(2, std::chrono::milliseconds(0)), 2);
}

TEST(MutexTest, CondVarWakesAWaiterAndTimesOut) {
  Counter c;
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) c.add();
  });
  EXPECT_EQ(c.wait_for(100, std::chrono::seconds(30)), 100);
  producer.join();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.wait_for(101, std::chrono::milliseconds(20)), 100);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
}

TEST(ThreadRoleTest, AssertOnIsFree) {
  static_assert(sizeof(ThreadRole) == 1);
  ThreadRole role;
  role.assert_on();
}

}  // namespace
}  // namespace discrec
