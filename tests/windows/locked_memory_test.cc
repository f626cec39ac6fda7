// LockedMemory on Windows (VirtualAlloc + VirtualLock), for real under wine.
#include "recorder/core/locked_memory.h"

#include <gtest/gtest.h>
#include <windows.h>

namespace discrec::recorder {
namespace {

TEST(LockedMemoryWindows, AllocatesWholePagesZeroedAndWritable) {
  auto m = LockedMemory::allocate(1 << 20 | 123);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  EXPECT_EQ(m->size() % info.dwPageSize, 0u);
  EXPECT_GE(m->size(), size_t{1 << 20 | 123});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m->data()) % info.dwPageSize, 0u);
  for (size_t i = 0; i < m->size(); i += 4096) EXPECT_EQ(m->data()[i], 0);
  m->data()[m->size() - 1] = 7;
  MEMORY_BASIC_INFORMATION mbi{};
  ASSERT_NE(VirtualQuery(m->data(), &mbi, sizeof mbi), 0u);
  EXPECT_EQ(mbi.State, static_cast<DWORD>(MEM_COMMIT));
  EXPECT_EQ(mbi.Protect, static_cast<DWORD>(PAGE_READWRITE));
}

TEST(LockedMemoryWindows, MoveTransfersAndReleaseFrees) {
  auto m = LockedMemory::allocate(64 * 1024);
  ASSERT_TRUE(m.ok());
  uint8_t* p = m->data();
  LockedMemory moved = std::move(*m);
  EXPECT_EQ(moved.data(), p);
  EXPECT_EQ(m->data(), nullptr);
  moved = LockedMemory();
  MEMORY_BASIC_INFORMATION mbi{};
  ASSERT_NE(VirtualQuery(p, &mbi, sizeof mbi), 0u);
  EXPECT_EQ(mbi.State, static_cast<DWORD>(MEM_FREE));
}

TEST(LockedMemoryWindows, EmptyIsInvalidArgument) {
  auto m = LockedMemory::allocate(0);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace discrec::recorder
