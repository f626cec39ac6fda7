// The emulated disc's image file is only ever a regular file: the daemon
// runs as root, and a config naming a device node or FIFO must not make it
// write there (a loop device was overwritten once).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "device/sim/image_file.h"

namespace discrec::device::sim {
namespace {

class ImageFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "discrec-image-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(ImageFileTest, CreatesANewRegularFileAndReopensIt) {
  {
    auto image = ImageFile::open(file("new.img"));
    ASSERT_TRUE(image.ok()) << image.error().to_string();
    const uint8_t data[4] = {1, 2, 3, 4};
    ASSERT_TRUE((*image)->write(0, data).ok());
  }
  struct stat st {};
  ASSERT_EQ(::lstat(file("new.img").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  auto again = ImageFile::open(file("new.img"));
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*(*again)->size(), 4u);
}

TEST_F(ImageFileTest, RefusesAFifoWithoutOpeningIt) {
  ASSERT_EQ(::mkfifo(file("fifo.img").c_str(), 0600), 0);
  auto image = ImageFile::open(file("fifo.img"));  // opening a FIFO would block: refused before
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(image.error().message().find("is a FIFO, not a regular file"), std::string::npos)
      << image.error().message();
}

TEST_F(ImageFileTest, RefusesASymlinkEvenToARegularFile) {
  std::ofstream(file("target")) << "keep";
  std::filesystem::create_symlink(file("target"), file("link.img"));
  auto image = ImageFile::open(file("link.img"));
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("symbolic link"), std::string::npos) << image.error().message();
  std::filesystem::create_symlink("/dev/null", file("null.img"));
  EXPECT_FALSE(ImageFile::open(file("null.img")).ok());
}

TEST_F(ImageFileTest, RefusesADeviceNodeAndADirectory) {
  auto device = ImageFile::open("/dev/null");
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.error().message().find("character device"), std::string::npos) << device.error().message();
  std::filesystem::create_directory(file("dir.img"));
  EXPECT_FALSE(ImageFile::open(file("dir.img")).ok());
}

}  // namespace
}  // namespace discrec::device::sim
