// WRITE(12) streaming throughput to tgt over iSCSI through discrec's Drive,
// against the raw figure of shared/mmc-target's mmc_iscsi_probe (plain C,
// libiscsi sync calls) measured in the same run on the same tgtd, with the
// same size and 32 KiB per command. Rounds alternate between the two so
// drift in the (fdatasync-bound, shared) host hits both alike; the medians
// are compared.
//
// Starts and stops its own private tgtd through tests/integration/tgt's
// fixture script. Env: BENCH_MIB (default 64), BENCH_ROUNDS (default 5).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "device/drive.h"

namespace {

using namespace discrec;
using namespace discrec::device;

constexpr uint32_t kBlock = 2048;
constexpr uint32_t kUnitBlocks = 16;  // 32 KiB, one DVD ECC block

std::string g_dir = DISCREC_BENCH_TGT_DIR;

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

std::string fixture(const std::string& args) {
  return "MMC_TARGET=" DISCREC_MMC_TARGET_DIR " " DISCREC_TGT_FIXTURE " " + args;
}

std::string read_uri() {
  std::ifstream in(g_dir + "/uri");
  std::string uri;
  std::getline(in, uri);
  return uri;
}

bool insert_blank(int round) {
  return sh(fixture("swap " + g_dir + " bench" + std::to_string(round) + " >/dev/null")) == 0;
}

// MB/s (1e6 bytes) of the probe's WRITE phase, or < 0 on failure.
double reference_round(const std::string& uri, uint32_t mib) {
  std::string cmd = std::string(DISCREC_PROBE_BIN) + " -q -r 0 -c " + std::to_string(kUnitBlocks) + " -m " +
                    std::to_string(mib) + " bench " + uri + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char line[512];
  double mbps = -1;
  while (std::fgets(line, sizeof line, p)) {
    const char* w = std::strstr(line, "WRITE:");
    const char* eq = w ? std::strstr(w, " = ") : nullptr;
    if (eq) mbps = std::atof(eq + 3);
  }
  int rc = ::pclose(p);
  if (rc != 0) std::fprintf(stderr, "reference probe exited with %d\n", rc);
  return mbps;
}

double drive_round(const std::string& uri, const std::vector<uint8_t>& data) {
  auto drive = Drive::open(uri);
  if (!drive.ok()) {
    std::fprintf(stderr, "open: %s\n", drive.error().to_string().c_str());
    return -1;
  }
  auto caps = (*drive)->probe();
  if (!caps.ok() || !caps->next_writable_address) {
    std::fprintf(stderr, "probe: no writable address\n");
    return -1;
  }
  const uint32_t nwa = *caps->next_writable_address;
  const size_t unit = size_t{kUnitBlocks} * kBlock;
  auto start = std::chrono::steady_clock::now();
  for (size_t off = 0; off < data.size(); off += unit) {
    Status s = (*drive)->write12(nwa + static_cast<uint32_t>(off / kBlock), std::span(data).subspan(off, unit), true);
    if (!s.ok()) {
      std::fprintf(stderr, "write: %s\n", s.error().to_string().c_str());
      return -1;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return data.size() / seconds / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  const uint32_t mib = std::getenv("BENCH_MIB") ? std::atoi(std::getenv("BENCH_MIB")) : 64;
  const int rounds = std::getenv("BENCH_ROUNDS") ? std::atoi(std::getenv("BENCH_ROUNDS")) : 5;
  if (sh(fixture("start " + g_dir + " >/dev/null")) != 0) {
    std::fprintf(stderr, "cannot start tgtd\n");
    return 1;
  }
  std::string uri = read_uri();
  std::vector<uint8_t> data(size_t{mib} << 20);
  std::mt19937 rng(1);
  for (auto& b : data) b = static_cast<uint8_t>(rng());

  std::vector<double> ours, reference;
  bool ok = true;
  for (int r = 0; r < rounds && ok; ++r) {
    ok = insert_blank(2 * r);
    double ref = ok ? reference_round(uri, mib) : -1;
    ok = ok && ref > 0 && insert_blank(2 * r + 1);
    double drv = ok ? drive_round(uri, data) : -1;
    ok = ok && drv > 0;
    if (ok) {
      reference.push_back(ref);
      ours.push_back(drv);
      std::fprintf(stderr, "round %d: drive %.1f MB/s, mmc_iscsi_probe %.1f MB/s\n", r + 1, drv, ref);
    }
  }
  sh(fixture("stop " + g_dir + " >/dev/null"));
  if (!ok || ours.empty()) {
    std::fprintf(stderr, "benchmark failed\n");
    return 1;
  }
  double a = median(ours), b = median(reference);
  std::printf("iscsi_write12_streaming_32k: %.1f MB/s, reference %.1f MB/s, ratio %.2f (goal >= 0.9)\n", a, b, a / b);
  return 0;
}
