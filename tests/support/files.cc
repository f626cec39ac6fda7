// Test support that runs on every platform (the Windows test executables
// link it too): temporary directories, files, the build and source trees,
// pipes.
#include <fcntl.h>
#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/process.h"

namespace discrec::test {

TempDir::TempDir() {
  // No mkdtemp on Windows: a random name, created exclusively.
  std::random_device random;
  const std::filesystem::path base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100 && path_.empty(); ++attempt) {
    const std::filesystem::path candidate = base / ("discrec-test-" + std::to_string(random()));
    std::error_code ec;
    if (std::filesystem::create_directory(candidate, ec)) path_ = candidate.generic_string();
  }
  if (path_.empty()) throw std::runtime_error("cannot create a temporary directory under " + base.string());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string binary_path(const std::string& relative) {
  const char* dir = std::getenv("DISCREC_BINARY_DIR");
  return std::string(dir ? dir : ".") + "/" + relative;
}

std::string source_path(const std::string& relative) {
  const char* dir = std::getenv("DISCREC_SOURCE_DIR");
  return std::string(dir ? dir : DISCREC_SOURCE_DIR_DEFAULT) + "/" + relative;
}

std::string sim_uri(const std::string& image_file, const std::string& scheme) {
  return scheme + (image_file.starts_with("/") ? "://" : ":///") + image_file;
}

bool make_pipe(int fds[2]) {
#ifdef _WIN32
  return ::_pipe(fds, 1 << 16, _O_BINARY | _O_NOINHERIT) == 0;
#else
  return ::pipe(fds) == 0;
#endif
}

}  // namespace discrec::test
