#include "tests/recorder/udf/image_fixture.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace discrec::recorder::udf::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/discrec_udf_XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void fill_pattern(uint32_t lba, uint8_t* sector) {
  for (uint32_t i = 0; i < kSectorSize; i += 4) std::memcpy(sector + i, &lba, 4);
}

namespace {
int open_image(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) throw std::runtime_error("open " + path.string() + ": " + std::strerror(errno));
  return fd;
}
void pwrite_all(int fd, const uint8_t* data, size_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n <= 0) throw std::runtime_error("pwrite failed");
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}
}  // namespace

void write_image(const std::filesystem::path& path, uint64_t sectors, const std::vector<SectorWrite>& writes) {
  const int fd = open_image(path, O_RDWR | O_CREAT | O_TRUNC);
  if (::ftruncate(fd, static_cast<off_t>(sectors * kSectorSize)) != 0) throw std::runtime_error("ftruncate failed");
  for (const SectorWrite& w : writes) pwrite_all(fd, w.bytes.data(), w.bytes.size(), uint64_t{w.lba} * kSectorSize);
  ::close(fd);
}

void fill_file(const std::filesystem::path& image, const FileSpec& file) {
  const int fd = open_image(image, O_RDWR);
  std::vector<uint8_t> buf;
  for (const FileExtent& e : file.extents) {
    if (!e.recorded) continue;
    // Huge extents stay sparse: only 64 sectors at each end and on each side of
    // every 32768-sector boundary carry the pattern; big-file tests read there.
    constexpr uint32_t kRun = 64;
    for (uint64_t s = 0; s < e.sectors; s += kRun) {
      const uint64_t m = s % 32768;
      const bool dense = e.sectors <= 4096 || s < kRun || s + 2 * kRun >= e.sectors || m < kRun || m >= 32768 - 2 * kRun;
      if (!dense) continue;
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(kRun, e.sectors - s));
      buf.resize(size_t{n} * kSectorSize);
      for (uint32_t i = 0; i < n; ++i) fill_pattern(e.lba + static_cast<uint32_t>(s) + i, &buf[size_t{i} * kSectorSize]);
      pwrite_all(fd, buf.data(), buf.size(), (uint64_t{e.lba} + s) * kSectorSize);
    }
  }
  ::close(fd);
}

void write_content(const std::filesystem::path& image, const FileSpec& file, const std::vector<uint8_t>& content) {
  const int fd = open_image(image, O_RDWR);
  uint64_t pos = 0;
  for (const FileExtent& e : file.extents) {
    const uint64_t bytes = std::min<uint64_t>(uint64_t{e.sectors} * kSectorSize, content.size() - pos);
    if (e.recorded) pwrite_all(fd, content.data() + pos, bytes, uint64_t{e.lba} * kSectorSize);
    pos += bytes;
  }
  ::close(fd);
}

std::vector<uint8_t> expected_bytes(const FileSpec& file, uint64_t offset, uint64_t length) {
  std::vector<uint8_t> out;
  uint64_t pos = 0;
  uint8_t sector[kSectorSize];
  for (const FileExtent& e : file.extents) {
    for (uint32_t s = 0; s < e.sectors; ++s, pos += kSectorSize) {
      if (pos + kSectorSize <= offset) continue;
      if (pos >= offset + length || pos >= file.size) return out;
      if (e.recorded) fill_pattern(e.lba + s, sector); else std::memset(sector, 0, kSectorSize);
      const uint64_t from = std::max(pos, offset);
      const uint64_t to = std::min<uint64_t>({pos + kSectorSize, offset + length, file.size});
      out.insert(out.end(), sector + (from - pos), sector + (to - pos));
    }
  }
  return out;
}

CommandOutput run(const std::string& command) {
  CommandOutput out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.output.append(buf.data(), n);
  const int st = ::pclose(p);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::vector<uint8_t> read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace discrec::recorder::udf::testing
