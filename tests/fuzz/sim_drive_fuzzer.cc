// libFuzzer target: a fresh emulated drive per input, fed a sequence of
// random CDBs with random data, clock jumps, media removal/insertion and
// fault scripts. The input format:
//   byte 0: profile (mod 6); 0xFF instead feeds the rest to the URI and
//           fault-script parsers only
//   then steps: one byte `kind`, then
//     kind%4 == 0: opcode selector (< 0xE0: a known opcode + the rest of its CDB;
//                  else CDB length 1..16 + raw CDB), direction, 2-byte data
//                  length (odd on READ/WRITE: the CDB's transfer), data (out)
//     kind%4 == 1: advance the simulated clock by next byte * 10 ms
//     kind%4 == 2: remove or insert the medium
//     kind%4 == 3: a fault script line of next byte's length
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/clock.h"
#include "device/sim/faults.h"
#include "device/sim/sim_drive.h"
#include "device/sim/sim_options.h"

using namespace discrec;
using namespace discrec::device;

namespace {

struct Reader {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t byte() {
    if (!n) return 0;
    --n;
    return *p++;
  }
  std::vector<uint8_t> bytes(size_t k) {
    k = std::min(k, n);
    std::vector<uint8_t> v(p, p + k);
    p += k;
    n -= k;
    return v;
  }
};

// Never freed: the exit handler that removes it runs after static destructors.
const std::string& image_dir() {
  static const std::string* dir = [] {
    auto* d = new std::string(
        (std::filesystem::temp_directory_path() / ("discrec-sim-fuzz-" + std::to_string(getpid()))).string());
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(image_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  uint8_t first = in.byte();
  if (first == 0xFF) {
    std::string text(reinterpret_cast<const char*>(in.p), in.n);
    (void)sim::parse_fault_script(text);
    (void)sim::parse_sim_uri("sim:///tmp/x.img?" + text);
    (void)sim::parse_sim_uri(text);
    return 0;
  }
  static const char* kProfiles[] = {"bd-re", "bd-r", "dvd-ram", "dvd+r", "dvd+rw", "dvd-r"};
  std::string image = image_dir() + "/disc.img";
  ::unlink(image.c_str());
  ::unlink((image + ".state").c_str());
  SimulatedClock clock;
  std::string uri = "sim://" + image + "?blocks=4096&buffer=256&profile=" + kProfiles[first % 6];
  if (first & 0x08) uri += "&formatted=spares";
  if (first & 0x10) uri += "&timing=off";
  auto drive = sim::SimDrive::open(uri, TransportOptions{&clock});
  if (!drive.ok()) __builtin_trap();  // a valid URI on a fresh image must open
  int steps = 0;
  while (!in.empty() && ++steps < 64) {
    uint8_t kind = in.byte();
    switch (kind % 4) {
      case 0: {
        // Mostly opcodes the drive knows, so inputs reach the command code;
        // sometimes raw bytes, to reach the rejection paths.
        static const uint8_t kOps[] = {0x00, 0x03, 0x04, 0x12, 0x1B, 0x1E, 0x23, 0x25, 0x28, 0x2A, 0x35,
                                       0x46, 0x4A, 0x51, 0x52, 0x53, 0x54, 0x55, 0x5A, 0x5B, 0x5C, 0xA8,
                                       0xAA, 0xAC, 0xB6, 0xBB};
        uint8_t sel = in.byte();
        std::vector<uint8_t> cdb;
        if (sel < 0xE0) {
          uint8_t op = kOps[sel % sizeof(kOps)];
          size_t len = op < 0x20 ? 6 : op < 0x60 ? 10 : 12;
          cdb = in.bytes(len - 1);
          cdb.insert(cdb.begin(), op);
          cdb.resize(len, 0);
        } else {
          cdb = in.bytes(1 + in.byte() % 16);
        }
        if (cdb.empty()) break;
        uint8_t dir = in.byte() % 3;
        size_t data_len = (size_t{in.byte()} << 8 | in.byte()) % (64 * 1024 + 1);
        // READ/WRITE: usually exactly the transfer the CDB asks for.
        if ((cdb[0] == 0x28 || cdb[0] == 0x2A) && cdb.size() >= 9 && (data_len & 1))
          data_len = std::min<size_t>(size_t{cdb[7]} << 8 | cdb[8], 64) * 2048;
        if ((cdb[0] == 0xA8 || cdb[0] == 0xAA) && cdb.size() >= 10 && (data_len & 1))
          data_len = std::min<size_t>(cdb[9], 64) * 2048;
        std::vector<uint8_t> buffer(data_len);
        if (dir == 2) {
          auto given = in.bytes(data_len);
          std::copy(given.begin(), given.end(), buffer.begin());
        }
        CommandRequest r;
        r.cdb = cdb;
        r.direction = dir == 0 ? DataDirection::kNone : dir == 1 ? DataDirection::kIn : DataDirection::kOut;
        r.data = buffer;
        r.timeout = std::chrono::seconds(5);
        auto result = (*drive)->execute(r);
        if (result.ok() && result->residual > buffer.size()) __builtin_trap();
        if (result.ok() && result->sense_length > result->sense.size()) __builtin_trap();
        break;
      }
      case 1:
        clock.advance(std::chrono::milliseconds(10 * in.byte()));
        break;
      case 2:
        if (in.byte() & 1) (*drive)->insert_medium();
        else (*drive)->remove_medium();
        break;
      case 3: {
        auto line = in.bytes(in.byte());
        (void)(*drive)->inject_script(std::string(line.begin(), line.end()));
        break;
      }
    }
  }
  (void)(*drive)->snapshot();
  return 0;
}
