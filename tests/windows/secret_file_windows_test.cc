// daemon::check_secret_file on Windows: a token or key file is refused
// when its ACL lets every user read it, and accepted when only SYSTEM and
// the Administrators may. The DACLs are set here with SetNamedSecurityInfo
// and read back by the daemon's check with GetNamedSecurityInfo. A wine
// that keeps no security descriptors derives the DACL from the file's Unix
// mode instead: these tests then skip, and daemon_service_wine.sh checks
// that a token of mode 0644 is refused and one of 0600 accepted.
#include <windows.h>
// windows.h first: aclapi.h needs its types.
#include <aclapi.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "daemon/host.h"
#include "tests/support/process.h"

namespace {

using discrec::daemon::check_secret_file;

// How many entries the file's DACL has, as GetNamedSecurityInfo reads it.
int ace_count(const std::string& path) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (::GetNamedSecurityInfoA(path.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl,
                              nullptr, &descriptor) != ERROR_SUCCESS)
    return -1;
  const int n = dacl ? dacl->AceCount : -1;
  ::LocalFree(descriptor);
  return n;
}

// Replaces the file's DACL (protected: nothing inherited) with one
// granting GENERIC_READ to each of `sids`.
void set_dacl(const std::string& path, std::initializer_list<WELL_KNOWN_SID_TYPE> sids) {
  std::vector<std::vector<BYTE>> buffers;
  std::vector<EXPLICIT_ACCESSA> entries;
  for (WELL_KNOWN_SID_TYPE type : sids) {
    std::vector<BYTE> sid(SECURITY_MAX_SID_SIZE);
    DWORD size = static_cast<DWORD>(sid.size());
    ASSERT_TRUE(::CreateWellKnownSid(type, nullptr, sid.data(), &size));
    buffers.push_back(std::move(sid));
    EXPLICIT_ACCESSA e{};
    e.grfAccessPermissions = GENERIC_READ;
    e.grfAccessMode = SET_ACCESS;
    e.grfInheritance = NO_INHERITANCE;
    e.Trustee.TrusteeForm = TRUSTEE_IS_SID;
    e.Trustee.ptstrName = reinterpret_cast<LPSTR>(buffers.back().data());
    entries.push_back(e);
  }
  PACL acl = nullptr;
  ASSERT_EQ(::SetEntriesInAclA(static_cast<ULONG>(entries.size()), entries.data(), nullptr, &acl), ERROR_SUCCESS);
  const DWORD rc = ::SetNamedSecurityInfoA(const_cast<char*>(path.c_str()), SE_FILE_OBJECT,
                                           DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr,
                                           nullptr, acl, nullptr);
  ::LocalFree(acl);
  ASSERT_EQ(rc, ERROR_SUCCESS);
  // Wine without stored security descriptors derives a file's DACL from
  // its Unix mode instead (daemon_service_wine.sh checks that path).
  if (ace_count(path) != static_cast<int>(sids.size()))
    GTEST_SKIP() << "the DACL set is not what is read back (wine deriving ACLs from the Unix mode)";
}

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("token");
    std::ofstream(path_) << "0123456789abcdef0123\n";
  }
  discrec::test::TempDir dir_;
  std::string path_;
};

TEST_F(SecretFileTest, OnlySystemAndAdministratorsMayReadIsAccepted) {
  set_dacl(path_, {WinLocalSystemSid, WinBuiltinAdministratorsSid});
  if (IsSkipped()) return;
  auto status = check_secret_file(path_, "token file", false);
  EXPECT_TRUE(status.ok()) << status.error().to_string();
}

TEST_F(SecretFileTest, ReadableByEveryoneIsRefusedAndSaysWhoMayRead) {
  set_dacl(path_, {WinLocalSystemSid, WinWorldSid});
  if (IsSkipped()) return;
  auto status = check_secret_file(path_, "token file", false);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("S-1-1-0"), std::string::npos) << status.error().message();
  EXPECT_NE(status.error().message().find("icacls"), std::string::npos) << status.error().message();
  EXPECT_TRUE(check_secret_file(path_, "token file", /*allow_readable=*/true).ok());
}

TEST_F(SecretFileTest, ReadableByUsersIsRefused) {
  set_dacl(path_, {WinBuiltinAdministratorsSid, WinBuiltinUsersSid});
  if (IsSkipped()) return;
  EXPECT_FALSE(check_secret_file(path_, "token file", false).ok());
}

TEST_F(SecretFileTest, AMissingFileIsNotFound) {
  auto status = check_secret_file(dir_.file("absent"), "token file", false);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), discrec::ErrorCode::kNotFound);
}

}  // namespace
