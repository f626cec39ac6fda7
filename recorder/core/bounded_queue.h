// BoundedQueue<T>: a FIFO of fixed capacity whose slots are allocated once
// (set_capacity()), so pushing and popping never allocate. The writer keeps
// the extents it closed and has not handed over yet in these.
//
// Thread-safety: none; one thread at a time (the writer's own state).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace discrec::recorder {

template <typename T>
class BoundedQueue {
 public:
  // Allocates the slots; drops what the queue held. Not on a hot path.
  void set_capacity(size_t capacity) {
    slots_.clear();
    slots_.shrink_to_fit();
    slots_.resize(capacity);
    head_ = size_ = 0;
  }
  size_t capacity() const { return slots_.size(); }
  size_t size() const { return size_; }
  size_t free() const { return slots_.size() - size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == slots_.size(); }

  // False (and `value` untouched) when full.
  bool push(T&& value) {
    if (full()) return false;
    slots_[(head_ + size_) % slots_.size()] = std::move(value);
    ++size_;
    return true;
  }
  bool push(const T& value) {
    T copy = value;
    return push(std::move(copy));
  }
  T& front() { return slots_[head_]; }
  void pop() {
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }

 private:
  std::vector<T> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace discrec::recorder
