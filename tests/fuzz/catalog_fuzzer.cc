// Catalog::open() on hostile files never crashes, reads out of bounds or
// allocates beyond its record limit, and what it accepts is stable:
//  - the first input byte picks the mode: even = the bytes follow the
//    catalog's magic (so the fuzzer starts inside the format); odd = the
//    bytes are the whole file;
//  - an opened file holds only whole records afterwards: opening it again
//    cuts nothing and lists the same parts;
//  - a put after it follows those records and survives a reopen.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "recorder/session/catalog.h"

namespace {

using namespace discrec::recorder;

// One file, rewritten for every input; in memory where there is a tmpfs
// (every put and open syncs). Removed at exit (plain buffers: the exit
// handler runs after static strings are gone).
char g_dir[64];
char g_file[80];

void remove_scratch() {
  (void)::unlink(g_file);
  (void)::unlink((std::string(g_file) + ".new").c_str());
  (void)::rmdir(g_dir);
}

const char* scratch_path() {
  if (g_file[0]) return g_file;
  std::snprintf(g_dir, sizeof g_dir, "%s/discrec-catalog-fuzz-XXXXXX",
                ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  if (!::mkdtemp(g_dir)) std::abort();
  std::snprintf(g_file, sizeof g_file, "%s/catalog", g_dir);
  std::atexit(remove_scratch);
  return g_file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string path = scratch_path();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (data[0] % 2 == 0) out.write("DRCATLG1", 8);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  CatalogLimits limits;
  limits.max_parts = 64;
  limits.compact_after_records = 32;
  auto opened = Catalog::open(path, limits);
  if (!opened.ok()) return 0;  // not a catalog: left alone
  const auto parts = (*opened)->parts();
  if (parts.size() > limits.max_parts) std::abort();
  opened.value().reset();

  auto again = Catalog::open(path, limits);
  if (!again.ok() || !(*again)->repaired().empty() || (*again)->parts() != parts) std::abort();
  CatalogPart part;
  part.recording_id = "fuzz";
  part.state = CatalogState::kEnded;
  if (!(*again)->put(part).ok()) std::abort();
  again.value().reset();
  auto last = Catalog::open(path, limits);
  if (!last.ok() || !(*last)->repaired().empty() || !(*last)->find("fuzz", 1)) std::abort();
  return 0;
}
