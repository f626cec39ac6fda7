// Disc/track/buffer/capacity/event parsers (MMC.md §8.2, §8.3, §8.7, §8.9,
// §10.2, READ CAPACITY).
#include "device/mmc/bytes.h"
#include "device/mmc/parse.h"

namespace discrec::device::mmc {
namespace {

// The bytes that are both announced by a 2-byte length field at offset 0
// (counting bytes after the field) and actually returned; at least `need`.
Result<ByteView> announced_view(std::span<const uint8_t> data, size_t need, const char* command) {
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 2, command));
  size_t announced = size_t{v.be16(0)} + 2;
  if (announced < need)
    return malformed(command, "data length field says " + std::to_string(announced) +
                                  " bytes, need " + std::to_string(need));
  RETURN_IF_ERROR(require(v, need, command));
  return v.sub(0, announced);
}

}  // namespace

Result<DiscInformation> parse_disc_information(std::span<const uint8_t> data) {
  constexpr const char* kCmd = "READ DISC INFORMATION";
  ASSIGN_OR_RETURN(ByteView v, announced_view(data, 34, kCmd));
  DiscInformation d;
  d.erasable = v.bit(2, 4);
  d.last_session_state = static_cast<SessionState>((v.u8(2) >> 2) & 0x03);
  d.status = static_cast<DiscStatus>(v.u8(2) & 0x03);
  d.first_track = v.u8(3);
  d.sessions = static_cast<uint16_t>(v.u8(9) << 8 | v.u8(4));
  d.first_track_in_last_session = static_cast<uint16_t>(v.u8(10) << 8 | v.u8(5));
  d.last_track_in_last_session = static_cast<uint16_t>(v.u8(11) << 8 | v.u8(6));
  d.disc_id_valid = v.bit(7, 7);
  d.unrestricted_use = v.bit(7, 5);
  d.bg_format_status = v.u8(7) & 0x03;
  d.disc_type = v.u8(8);
  d.disc_id = v.be32(12);
  d.last_session_lead_in = v.be32(16);
  d.last_possible_lead_out = v.be32(20);
  d.opc_entries = v.u8(33);
  return d;
}

Result<TrackInformation> parse_track_information(std::span<const uint8_t> data) {
  constexpr const char* kCmd = "READ TRACK INFORMATION";
  // MMC-1 drives return 28 bytes (through the track size); later fields
  // are read only when present.
  ASSIGN_OR_RETURN(ByteView v, announced_view(data, 28, kCmd));
  TrackInformation t;
  t.track_number = v.u8(2);
  t.session_number = v.u8(3);
  t.damage = v.bit(5, 5);
  t.copy = v.bit(5, 4);
  t.track_mode = v.u8(5) & 0x0F;
  t.reserved_track = v.bit(6, 7);
  t.blank = v.bit(6, 6);
  t.packet = v.bit(6, 5);
  t.fixed_packet = v.bit(6, 4);
  t.data_mode = v.u8(6) & 0x0F;
  t.lra_valid = v.bit(7, 1);
  t.nwa_valid = v.bit(7, 0);
  t.start_lba = v.be32(8);
  t.next_writable_address = v.be32(12);
  t.free_blocks = v.be32(16);
  t.fixed_packet_size = v.be32(20);
  t.track_size = v.be32(24);
  if (v.has(28, 4)) {
    t.last_recorded_address = v.be32(28);
  } else {
    t.lra_valid = false;
  }
  if (v.has(32, 2)) {
    t.track_number |= static_cast<uint16_t>(v.u8(32) << 8);
    t.session_number |= static_cast<uint16_t>(v.u8(33) << 8);
  }
  return t;
}

Result<BufferCapacity> parse_buffer_capacity(std::span<const uint8_t> data, bool block) {
  constexpr const char* kCmd = "READ BUFFER CAPACITY";
  ASSIGN_OR_RETURN(ByteView v, announced_view(data, 12, kCmd));
  BufferCapacity b;
  b.in_blocks = block;
  // With Block=1 only bytes 8-11 are defined (MMC.md §18 item 5).
  b.length = block ? 0 : v.be32(4);
  b.available = v.be32(8);
  return b;
}

Result<ReadCapacity> parse_read_capacity(std::span<const uint8_t> data) {
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 8, "READ CAPACITY"));
  return ReadCapacity{v.be32(0), v.be32(4)};
}

Result<FormatCapacities> parse_format_capacities(std::span<const uint8_t> data) {
  constexpr const char* kCmd = "READ FORMAT CAPACITIES";
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 12, kCmd));
  size_t list_length = v.u8(3);
  if (list_length < 8 || list_length % 8 != 0)
    return malformed(kCmd, "capacity list length " + std::to_string(list_length) +
                               " is not a positive multiple of 8");
  FormatCapacities f;
  f.current_blocks = v.be32(4);
  f.current_descriptor_type = v.u8(8) & 0x03;
  f.current_block_length = v.be24(9);
  // Formattable descriptors follow; take the whole ones that were returned.
  size_t end = std::min(v.size(), 4 + list_length);
  for (size_t p = 12; p + 8 <= end; p += 8) {
    FormatCapacityDescriptor d;
    d.blocks = v.be32(p);
    d.type = v.u8(p + 4) >> 2;
    d.parameter = v.be24(p + 5);
    f.formattable.push_back(d);
  }
  return f;
}

Result<EventStatus> parse_event_status(std::span<const uint8_t> data) {
  constexpr const char* kCmd = "GET EVENT STATUS NOTIFICATION";
  ByteView v(data);
  RETURN_IF_ERROR(require(v, 4, kCmd));
  EventStatus e;
  size_t announced = size_t{v.be16(0)} + 2;
  e.no_event_available = v.bit(2, 7);
  e.notification_class = v.u8(2) & 0x07;
  e.supported_classes = v.u8(3);
  if (e.no_event_available) return e;
  // An event was returned: its 4-byte descriptor must be there.
  if (announced < 8)
    return malformed(kCmd, "event announced without a descriptor (length " +
                               std::to_string(announced) + ")");
  RETURN_IF_ERROR(require(v, 8, kCmd));
  if (e.notification_class == 4) {
    e.media_event = v.u8(4) & 0x0F;
    e.media_present = v.bit(5, 1);
    e.tray_open = v.bit(5, 0);
  }
  return e;
}

}  // namespace discrec::device::mmc
