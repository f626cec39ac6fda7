// Windows implementation of LockedMemory (VirtualAlloc + VirtualLock),
// chosen by recorder/core/CMakeLists.txt instead of locked_memory_posix.cc.
#include <windows.h>

#include <cstring>
#include <string>
#include <utility>

#include "recorder/core/locked_memory.h"

namespace discrec::recorder {

Result<LockedMemory> LockedMemory::map(size_t bytes, bool touch_unlocked) {
  if (bytes == 0) return Error(ErrorCode::kInvalidArgument, "cannot allocate an empty region");
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  const size_t page = info.dwPageSize;
  const size_t size = (bytes + page - 1) / page * page;
  void* p = VirtualAlloc(nullptr, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (p == nullptr) {
    return Error(ErrorCode::kResourceExhausted, "VirtualAlloc of " + std::to_string(size) +
                                                    " bytes failed: Win32 error " +
                                                    std::to_string(GetLastError()));
  }
  LockedMemory m;
  m.data_ = static_cast<uint8_t*>(p);
  m.size_ = size;
  // VirtualLock faults the pages in when it succeeds; when it is refused
  // (the working-set minimum is small unless raised) they are touched, for
  // the writer must not fault anyway (a reserved pool touches what it
  // hands out instead).
  m.locked_ = VirtualLock(p, size) != 0;
  if (!m.locked_) {
    // The default minimum working set (~200 KiB) is the usual reason: raise
    // it by the region's size once and retry, as Microsoft documents.
    SIZE_T min_ws = 0, max_ws = 0;
    HANDLE self = GetCurrentProcess();
    if (GetProcessWorkingSetSize(self, &min_ws, &max_ws) &&
        SetProcessWorkingSetSize(self, min_ws + size, max_ws + size))
      m.locked_ = VirtualLock(p, size) != 0;
  }
  if (!m.locked_ && touch_unlocked) std::memset(m.data_, 0, size);
  return m;
}

void LockedMemory::discard(size_t offset, size_t bytes) {
  // MEM_RESET: the contents are no longer needed, so the pages are dropped
  // rather than paged out; they stay committed for the next carve.
  (void)VirtualAlloc(data_ + offset, bytes, MEM_RESET, PAGE_READWRITE);
}

void LockedMemory::release() {
  if (data_ == nullptr) return;
  if (locked_) VirtualUnlock(data_, size_);
  VirtualFree(data_, 0, MEM_RELEASE);
  data_ = nullptr;
  size_ = 0;
  locked_ = false;
}

}  // namespace discrec::recorder
