// MODE SENSE(10) / MODE SELECT(10) for the write parameters page 0x05
// (MMC.md §9.1, §9.2).
#include "device/mmc/bytes.h"
#include "device/mmc/parse.h"

namespace discrec::device::mmc {

Result<ModePage05> parse_mode_page_05(std::span<const uint8_t> data) {
  constexpr const char* kCmd = "MODE SENSE(10)";
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 8, kCmd));
  size_t announced = size_t{v.be16(0)} + 2;
  size_t end = std::min(announced, v.size());
  // Some devices send block descriptors even with DBD=1 (LBN's qemu note).
  size_t page = 8 + size_t{v.be16(6)};
  if (page + 2 > end)
    return malformed(kCmd, "no page after the header (block descriptors " +
                               std::to_string(v.be16(6)) + " bytes, data " + std::to_string(end) + ")");
  if ((v.u8(page) & 0x3F) != 0x05)
    return malformed(kCmd, "expected page 0x05, got 0x" + std::to_string(v.u8(page) & 0x3F));
  size_t page_length = v.u8(page + 1);
  // Page bytes through 15 (audio pause length) are the ones we interpret.
  if (page_length + 2 < 16)
    return malformed(kCmd, "page 0x05 length " + std::to_string(page_length) + " < 14");
  if (page + 2 + page_length > end)
    return malformed(kCmd, "page 0x05 truncated: " + std::to_string(page_length + 2) +
                               " bytes announced, " + std::to_string(end - page) + " present");
  ByteView p = v.sub(page, page_length + 2);
  ModePage05 m;
  m.buffer_underrun_free = p.bit(2, 6);
  m.link_size_valid = p.bit(2, 5);
  m.test_write = p.bit(2, 4);
  m.write_type = p.u8(2) & 0x0F;
  m.multi_session = p.u8(3) >> 6;
  m.fixed_packet = p.bit(3, 5);
  m.track_mode = p.u8(3) & 0x0F;
  m.data_block_type = p.u8(4) & 0x0F;
  m.link_size = p.u8(5);
  m.packet_size = p.be32(10);
  m.raw.assign(p.span().begin(), p.span().end());
  return m;
}

std::vector<uint8_t> mode_select_page_05(const ModePage05& m) {
  // Page length 0x32 when we have nothing read back (LBN's default).
  std::vector<uint8_t> page = m.raw.size() >= 16 ? m.raw : std::vector<uint8_t>(0x32 + 2, 0);
  page[0] = 0x05;  // PS cleared: it is reserved in MODE SELECT
  page[1] = static_cast<uint8_t>(page.size() - 2);
  page[2] = static_cast<uint8_t>((m.buffer_underrun_free ? 0x40 : 0) | (m.link_size_valid ? 0x20 : 0) |
                                 (m.test_write ? 0x10 : 0) | (m.write_type & 0x0F));
  page[3] = static_cast<uint8_t>((m.multi_session & 0x03) << 6 | (m.fixed_packet ? 0x20 : 0) |
                                 (page[3] & 0x10) | (m.track_mode & 0x0F));
  page[4] = static_cast<uint8_t>((page[4] & 0xF0) | (m.data_block_type & 0x0F));
  page[5] = m.link_size;
  put_be32(&page[10], m.packet_size);
  // 8-byte header of zeros: mode data length must be 0 for SELECT, and no
  // block descriptors.
  std::vector<uint8_t> out(8 + page.size(), 0);
  std::copy(page.begin(), page.end(), out.begin() + 8);
  return out;
}

}  // namespace discrec::device::mmc
