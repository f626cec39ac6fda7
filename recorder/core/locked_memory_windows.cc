// Windows implementation of LockedMemory (VirtualAlloc + VirtualLock),
// chosen by recorder/core/CMakeLists.txt instead of locked_memory_posix.cc.
#include <windows.h>

#include <cstring>
#include <string>
#include <utility>

#include "recorder/core/locked_memory.h"

namespace discrec::recorder {

Result<LockedMemory> LockedMemory::allocate(size_t bytes) {
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
  // Touch every page now: VirtualLock may be refused (the working-set
  // minimum is small unless raised), and the writer must not fault anyway.
  std::memset(m.data_, 0, size);
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
  return m;
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
