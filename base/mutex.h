// Mutex, MutexLock, CondVar and ThreadRole: the annotated synchronisation
// the thread-safety analysis (base/thread_annotations.h) can check.
//
//   mutable Mutex mutex_;
//   int count_ GUARDED_BY(mutex_) = 0;
//
//   void add() {
//     MutexLock lock(mutex_);
//     ++count_;
//   }
//   // Never waits (the writer thread's pattern): try_lock, then adopt.
//   void maybe_add() {
//     if (!mutex_.try_lock()) return;
//     MutexLock lock(mutex_, std::adopt_lock);
//     ++count_;
//   }
//   // Waiting for a condition: the predicate is checked by the caller, in a
//   // loop, with the lock held (a lambda passed to a wait would be analysed
//   // on its own, without the lock).
//   MutexLock lock(mutex_);
//   while (count_ == 0) {
//     if (cv_.wait_until(mutex_, deadline) == std::cv_status::timeout) break;
//   }
//
// ThreadRole is the capability of running on one particular thread (a
// drive's writer or command thread): data only that thread touches is
// GUARDED_BY(role), functions that run there REQUIRES(role), and the
// thread's entry point (or a function documented to be called there)
// asserts it with role.assert_on(). It costs nothing at run time.
//
// Thread-safety: Mutex, CondVar: thread-safe. MutexLock: one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "base/thread_annotations.h"

namespace discrec {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mutex_.lock(); }
  void unlock() RELEASE() { mutex_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mutex_.try_lock(); }
  // Tells the analysis the caller holds it (no run-time check).
  void assert_held() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mutex_;
};

// Holds a Mutex for its scope. std::adopt_lock: the caller locked it
// already (e.g. after a try_lock() that succeeded).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  MutexLock(Mutex& mutex, std::adopt_lock_t) REQUIRES(mutex) : mutex_(mutex) {}
  ~MutexLock() RELEASE() { mutex_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mutex_;
};

// std::condition_variable for a Mutex the caller holds (see the file
// comment for the waiting pattern). Spurious wake-ups happen: loop.
class CondVar {
 public:
  void wait(Mutex& mutex) REQUIRES(mutex) {
    std::unique_lock<std::mutex> lock(mutex.mutex_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  template <typename Clock, typename Duration>
  std::cv_status wait_until(Mutex& mutex, const std::chrono::time_point<Clock, Duration>& deadline)
      REQUIRES(mutex) {
    std::unique_lock<std::mutex> lock(mutex.mutex_, std::adopt_lock);
    const std::cv_status status = cv_.wait_until(lock, deadline);
    lock.release();
    return status;
  }
  void notify_one() { cv_.notify_one(); }
  void notify_all() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

// The capability of running on one thread (see the file comment).
class CAPABILITY("role") ThreadRole {
 public:
  ThreadRole() = default;
  ThreadRole(const ThreadRole&) = delete;
  ThreadRole& operator=(const ThreadRole&) = delete;
  // The caller runs on the role's thread, by construction.
  void assert_on() const ASSERT_CAPABILITY(this) {}
};

}  // namespace discrec
