// Which drive quirks table the daemon reads: the shipped one (found from the
// build tree here), or the configured file, whose problems are errors
// naming it and the line.
#include "daemon/drive_quirks_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace discrec::daemon {
namespace {

class DriveQuirksFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("discrec-quirks-file-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(DriveQuirksFile, TheShippedTableIsFoundAndParses) {
  const std::string shipped = shipped_drive_quirks_path();
  EXPECT_TRUE(std::filesystem::is_regular_file(shipped)) << shipped;
  EXPECT_EQ(std::filesystem::path(shipped).filename(), "drive-quirks.txt");
  auto loaded = load_drive_quirks("");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->path, shipped);
  EXPECT_TRUE(loaded->warning.empty());
  ASSERT_NE(loaded->table, nullptr);
  EXPECT_FALSE(loaded->table->lookup("STGT_DVD", "DVD101", "0010").empty());
}

TEST_F(DriveQuirksFile, TheConfiguredFileReplacesTheShippedOne) {
  const std::string path = write("q.txt", "DISCREC | * | * | no-opc | local finding\n");
  auto loaded = load_drive_quirks(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->path, path);
  EXPECT_EQ(loaded->table->entries().size(), 1u);
  EXPECT_TRUE(loaded->table->lookup("STGT_DVD", "DVD101", "0010").empty());
  auto q = loaded->table->lookup("DISCREC", "SIM BD WRITER", "1.0");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].source, path + ":1");
}

TEST_F(DriveQuirksFile, BadOrMissingConfiguredFilesAreErrors) {
  const std::string bad = write("bad.txt", "# fine\nDISCREC | * | * | no-such-quirk | why\n");
  auto loaded = load_drive_quirks(bad);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(loaded.error().message().rfind(bad + ":2: unknown quirk 'no-such-quirk'", 0), 0u)
      << loaded.error().message();

  const std::string missing = (dir_ / "missing.txt").string();
  loaded = load_drive_quirks(missing);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(loaded.error().message().find(missing), std::string::npos);
  EXPECT_NE(loaded.error().message().find("daemon.drive_quirks"), std::string::npos);
}

}  // namespace
}  // namespace discrec::daemon
