// A fresh directory under the system's temporary directory for one test's
// disc images, removed with everything in it when the test ends. Portable
// (no mkdtemp): the device tests also run as Windows executables.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace discrec::test {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::random_device random;
    for (int attempt = 0; attempt < 100 && path_.empty(); ++attempt) {
      auto candidate = std::filesystem::temp_directory_path() / (prefix + std::to_string(random()));
      if (std::filesystem::create_directory(candidate)) path_ = candidate.generic_string();
    }
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Empty when no directory could be made.
  const std::string& path() const { return path_; }
  // sim:///tmp/x.img, or sim:///C:/Users/.../x.img on Windows.
  static std::string sim_uri(const std::string& file) {
    return file.starts_with("/") ? "sim://" + file : "sim:///" + file;
  }

 private:
  std::string path_;
};

}  // namespace discrec::test
