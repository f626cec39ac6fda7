#include "device/smc/sense.h"

#include <cstdio>

#include "device/mmc/sense.h"

namespace discrec::device::smc {
namespace {

struct AscEntry {
  uint8_t asc;
  uint8_t ascq;
  const char* name;
};

// SPC-4 annex D, the codes SMC-3 devices report about elements and media.
constexpr AscEntry kChangerAscTable[] = {
    {0x21, 0x01, "invalid element address"},
    {0x28, 0x01, "import or export element accessed"},
    {0x30, 0x03, "cleaning cartridge installed"},
    {0x30, 0x07, "cleaning failure"},
    {0x3A, 0x03, "medium not present - loadable"},
    {0x3A, 0x04, "medium not present - medium auxiliary memory accessible"},
    {0x3B, 0x0D, "medium destination element full"},
    {0x3B, 0x0E, "medium source element empty"},
    {0x3B, 0x11, "medium magazine not accessible"},
    {0x3B, 0x12, "medium magazine removed"},
    {0x3B, 0x13, "medium magazine inserted"},
    {0x3B, 0x14, "medium magazine locked"},
    {0x3B, 0x15, "medium magazine unlocked"},
    {0x3B, 0x16, "mechanical positioning or changer error"},
    {0x3B, 0x1A, "data transfer device removed"},
    {0x3B, 0x1B, "data transfer device inserted"},
    {0x53, 0x03, "medium removal prevented by data transfer element"},
    {0x5A, 0x01, "operator medium removal request"},
};

}  // namespace

const char* asc_ascq_name(uint8_t asc, uint8_t ascq) {
  for (const auto& e : kChangerAscTable)
    if (e.asc == asc && e.ascq == ascq) return e.name;
  return mmc::asc_ascq_name(asc, ascq);
}

std::string describe_sense(const SenseCode& code) {
  char buf[160];
  const char* name = asc_ascq_name(code.asc, code.ascq);
  std::snprintf(buf, sizeof buf, "%s %X/%02X/%02X %s", mmc::sense_key_name(code.key), code.key,
                code.asc, code.ascq, name ? name : "(unlisted ASC/ASCQ)");
  return buf;
}

}  // namespace discrec::device::smc
