// libFuzzer target: a fresh emulated library per input (changer and its two
// drives), fed random SMC CDBs to the changer, MMC CDBs to the drives,
// clock jumps, the operator at the import/export door, and drives or the
// changer closed and reopened. Besides not crashing, the library must never
// lose or duplicate a disc: the full elements READ ELEMENT STATUS reports
// always number the discs made minus those taken out, each tag once.
// The input format:
//   byte 0: shape (bit 0 timing, bit 1 a second mail slot, bits 2-3 discs);
//           0xFF instead feeds the rest to the URI parser only
//   then steps: one byte `kind`, then
//     kind%6 == 0: changer CDB (selector < 0xE0: a known opcode + the rest
//                  of its CDB; else length 1..16 + raw), direction, 2-byte length
//     kind%6 == 1: drive CDB, to drive 1 or 2 (same encoding, MMC opcodes)
//     kind%6 == 2: advance the clock by next byte * 100 ms
//     kind%6 == 3: the operator imports a blank disc or takes one out
//     kind%6 == 4: close and reopen drive 1, drive 2 or the changer
//     kind%6 == 5: a MOVE MEDIUM between two of the library's elements
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "device/sim/changer_options.h"
#include "device/sim/library.h"
#include "device/sim/sim_changer.h"
#include "device/sim/sim_drive.h"

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
const std::string& scratch() {
  static const std::string* dir = [] {
    auto* d = new std::string(
        (std::filesystem::temp_directory_path() / ("discrec-changer-fuzz-" + std::to_string(getpid()))).string());
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch(), ec);
    });
    return d;
  }();
  return *dir;
}

std::vector<uint8_t> make_cdb(Reader& in, const std::vector<uint8_t>& ops) {
  uint8_t sel = in.byte();
  if (sel >= 0xE0) return in.bytes(1 + in.byte() % 16);
  uint8_t op = ops[sel % ops.size()];
  size_t len = op < 0x20 ? 6 : op < 0x60 ? 10 : 12;
  std::vector<uint8_t> cdb = in.bytes(len - 1);
  cdb.insert(cdb.begin(), op);
  cdb.resize(len, 0);
  return cdb;
}

void execute(Transport& t, Reader& in, std::vector<uint8_t> cdb) {
  if (cdb.empty()) return;
  uint8_t dir = in.byte() % 3;
  size_t length = (size_t{in.byte()} << 8 | in.byte()) % (64 * 1024 + 1);
  std::vector<uint8_t> buffer(length);
  if (dir == 2) {
    auto given = in.bytes(length);
    std::copy(given.begin(), given.end(), buffer.begin());
  }
  CommandRequest r;
  r.cdb = cdb;
  r.direction = dir == 0 ? DataDirection::kNone : dir == 1 ? DataDirection::kIn : DataDirection::kOut;
  r.data = buffer;
  r.timeout = std::chrono::seconds(20);
  auto result = t.execute(r);
  if (result.ok() && result->residual > buffer.size()) __builtin_trap();
  if (result.ok() && result->sense_length > result->sense.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  uint8_t first = in.byte();
  if (first == 0xFF) {
    std::string text(reinterpret_cast<const char*>(in.p), in.n);
    (void)sim::parse_sim_changer_uri("sim-changer:///tmp/lib?" + text);
    (void)sim::parse_sim_changer_uri(text);
    return 0;
  }
  std::string dir = scratch() + "/lib";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  SimulatedClock clock;
  std::string base = "sim-changer://" + dir + "?slots=3&drives=2&profile=bd-r&blocks=4096&import_export=" +
                     std::to_string(1 + ((first >> 1) & 1)) + "&discs=" + std::to_string((first >> 2) & 3) +
                     ((first & 1) ? "&timing=off" : "");
  TransportOptions options{&clock};
  std::unique_ptr<sim::SimChanger> changer;
  std::unique_ptr<sim::SimDrive> drives[2];
  auto open_changer = [&] {
    changer.reset();
    auto c = sim::SimChanger::open(base, options);
    if (!c.ok()) __builtin_trap();  // a valid URI on a library of its own must open
    changer = std::move(c).value();
  };
  auto open_drive = [&](int i) {
    drives[i].reset();
    auto d = sim::SimDrive::open(base + "&drive=" + std::to_string(i + 1), options);
    if (!d.ok()) __builtin_trap();
    drives[i] = std::move(d).value();
  };
  open_changer();
  open_drive(0);
  open_drive(1);
  size_t discs = (first >> 2) & 3;

  static const std::vector<uint8_t> kChangerOps = {0x00, 0x03, 0x07, 0x12, 0x1A, 0x1E, 0x5A, 0xA5, 0xB8};
  static const std::vector<uint8_t> kDriveOps = {0x00, 0x03, 0x12, 0x1B, 0x1E, 0x28, 0x2A, 0x35,
                                                 0x46, 0x4A, 0x51, 0x52, 0x5B, 0x5A};
  int steps = 0;
  while (!in.empty() && ++steps < 48) {
    uint8_t kind = in.byte();
    switch (kind % 6) {
      case 0:
        execute(*changer, in, make_cdb(in, kChangerOps));
        break;
      case 1: {
        int i = in.byte() & 1;
        std::vector<uint8_t> cdb = make_cdb(in, kDriveOps);
        // Keep writes and reads small: the disc images are real files.
        if (!cdb.empty() && (cdb[0] == 0x28 || cdb[0] == 0x2A) && cdb.size() >= 9) cdb[7] = 0, cdb[8] &= 0x3F;
        execute(*drives[i], in, std::move(cdb));
        break;
      }
      case 2:
        clock.advance(std::chrono::milliseconds(100 * in.byte()));
        break;
      case 3: {
        uint8_t what = in.byte();
        uint16_t address = static_cast<uint16_t>(sim::kFirstImportExportAddress + (what >> 1) % 3);
        if (what & 1) {
          if (changer->import_blank_disc(address).ok()) ++discs;
        } else {
          if (changer->take_out(address).ok()) --discs;
        }
        break;
      }
      case 4: {
        uint8_t which = in.byte() % 3;
        if (which == 2) open_changer();
        else open_drive(which);
        break;
      }
      case 5: {
        // Addresses near the library's, so most moves are valid.
        static const uint16_t kPlaces[] = {0x0001, 0x0010, 0x0011, 0x0100, 0x0101, 0x0102,
                                           0x1000, 0x1001, 0x1002, 0x1003};
        uint16_t from = kPlaces[in.byte() % 10];
        uint16_t to = kPlaces[in.byte() % 10];
        std::vector<uint8_t> cdb{0xA5, 0, 0, 0, uint8_t(from >> 8), uint8_t(from), uint8_t(to >> 8), uint8_t(to),
                                 0, 0, 0, 0};
        CommandRequest r;
        r.cdb = cdb;
        r.timeout = std::chrono::seconds(600);
        (void)changer->execute(r);
        break;
      }
    }
    // No disc lost, none duplicated.
    std::set<std::string> tags;
    size_t full = 0;
    for (const auto& e : changer->library().elements()) {
      if (!e.full) continue;
      ++full;
      if (!tags.insert(e.volume_tag).second) __builtin_trap();
    }
    if (full != discs) __builtin_trap();
    // A drive holds a disc exactly when the library says so.
    for (int i = 0; i < 2; ++i) {
      bool held = false;
      for (const auto& e : changer->library().elements())
        if (e.address == sim::kFirstDriveAddress + i && e.full) held = true;
      if (held == drives[i]->tray_empty()) __builtin_trap();
    }
  }
  (void)changer->snapshot();
  return 0;
}
