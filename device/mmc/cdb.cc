#include "device/mmc/cdb.h"

#include "device/mmc/bytes.h"

namespace discrec::device::mmc {
namespace {

Cdb make(uint8_t op, uint8_t length) {
  Cdb c;
  c.bytes[0] = op;
  c.length = length;
  return c;
}

}  // namespace

const char* command_name(uint8_t op) {
  switch (op) {
    case opcode::kTestUnitReady: return "TEST UNIT READY";
    case opcode::kRequestSense: return "REQUEST SENSE";
    case opcode::kFormatUnit: return "FORMAT UNIT";
    case opcode::kInquiry: return "INQUIRY";
    case opcode::kStartStopUnit: return "START STOP UNIT";
    case opcode::kPreventAllowMediumRemoval: return "PREVENT ALLOW MEDIUM REMOVAL";
    case opcode::kReadFormatCapacities: return "READ FORMAT CAPACITIES";
    case opcode::kReadCapacity: return "READ CAPACITY";
    case opcode::kSynchronizeCache: return "SYNCHRONIZE CACHE";
    case opcode::kGetConfiguration: return "GET CONFIGURATION";
    case opcode::kGetEventStatusNotification: return "GET EVENT STATUS NOTIFICATION";
    case opcode::kReadDiscInformation: return "READ DISC INFORMATION";
    case opcode::kReadTrackInformation: return "READ TRACK INFORMATION";
    case opcode::kReserveTrack: return "RESERVE TRACK";
    case opcode::kSendOpcInformation: return "SEND OPC INFORMATION";
    case opcode::kModeSelect10: return "MODE SELECT(10)";
    case opcode::kModeSense10: return "MODE SENSE(10)";
    case opcode::kCloseTrackSession: return "CLOSE TRACK/SESSION";
    case opcode::kReadBufferCapacity: return "READ BUFFER CAPACITY";
    case opcode::kRead12: return "READ(12)";
    case opcode::kWrite12: return "WRITE(12)";
    case opcode::kGetPerformance: return "GET PERFORMANCE";
    case opcode::kSetStreaming: return "SET STREAMING";
    case opcode::kSetCdSpeed: return "SET CD SPEED";
  }
  return "SCSI command";
}

Cdb test_unit_ready() { return make(opcode::kTestUnitReady, 6); }

Cdb request_sense(uint8_t allocation_length, bool descriptor_format) {
  Cdb c = make(opcode::kRequestSense, 6);
  c.bytes[1] = descriptor_format ? 0x01 : 0x00;
  c.bytes[4] = allocation_length;
  return c;
}

Cdb inquiry(uint16_t allocation_length) {
  Cdb c = make(opcode::kInquiry, 6);
  put_be16(&c.bytes[3], allocation_length);
  return c;
}

Cdb get_configuration(ConfigurationRequest rt, uint16_t starting_feature, uint16_t allocation_length) {
  Cdb c = make(opcode::kGetConfiguration, 10);
  c.bytes[1] = static_cast<uint8_t>(rt) & 0x03;
  put_be16(&c.bytes[2], starting_feature);
  put_be16(&c.bytes[7], allocation_length);
  return c;
}

Cdb get_performance_nominal(bool write, PerformanceExcept except, uint32_t start_lba,
                            uint16_t max_descriptors) {
  Cdb c = make(opcode::kGetPerformance, 12);
  c.bytes[1] = 0x10 | (write ? 0x04 : 0x00) | (static_cast<uint8_t>(except) & 0x03);
  put_be32(&c.bytes[2], start_lba);
  put_be16(&c.bytes[8], max_descriptors);
  c.bytes[10] = 0x00;
  return c;
}

Cdb get_performance_write_speed(uint16_t max_descriptors) {
  Cdb c = make(opcode::kGetPerformance, 12);
  put_be16(&c.bytes[8], max_descriptors);
  c.bytes[10] = 0x03;
  return c;
}

Cdb set_streaming(uint16_t parameter_length) {
  Cdb c = make(opcode::kSetStreaming, 12);
  c.bytes[8] = 0x00;  // type: performance descriptor
  put_be16(&c.bytes[9], parameter_length);
  return c;
}

Cdb set_cd_speed(uint16_t read_kbps, uint16_t write_kbps, uint8_t rotation) {
  Cdb c = make(opcode::kSetCdSpeed, 12);
  c.bytes[1] = rotation & 0x03;
  put_be16(&c.bytes[2], read_kbps);
  put_be16(&c.bytes[4], write_kbps);
  return c;
}

Cdb send_opc_information(bool do_opc, bool exclude_layer0, bool exclude_layer1,
                         uint16_t parameter_length) {
  Cdb c = make(opcode::kSendOpcInformation, 10);
  c.bytes[1] = do_opc ? 0x01 : 0x00;
  c.bytes[2] = (exclude_layer0 ? 0x01 : 0x00) | (exclude_layer1 ? 0x02 : 0x00);
  put_be16(&c.bytes[7], parameter_length);
  return c;
}

Cdb read_disc_information(uint16_t allocation_length) {
  Cdb c = make(opcode::kReadDiscInformation, 10);
  put_be16(&c.bytes[7], allocation_length);
  return c;
}

Cdb read_track_information(TrackAddressType type, uint32_t number, uint16_t allocation_length) {
  Cdb c = make(opcode::kReadTrackInformation, 10);
  c.bytes[1] = static_cast<uint8_t>(type) & 0x03;
  put_be32(&c.bytes[2], number);
  put_be16(&c.bytes[7], allocation_length);
  return c;
}

Cdb reserve_track(uint32_t blocks) {
  Cdb c = make(opcode::kReserveTrack, 10);
  put_be32(&c.bytes[5], blocks);
  return c;
}

Cdb close_track_session(uint8_t function, uint16_t number, bool immed) {
  Cdb c = make(opcode::kCloseTrackSession, 10);
  c.bytes[1] = immed ? 0x01 : 0x00;
  c.bytes[2] = function & 0x07;
  put_be16(&c.bytes[4], number);
  return c;
}

Cdb synchronize_cache(bool immed, uint32_t lba, uint16_t blocks) {
  Cdb c = make(opcode::kSynchronizeCache, 10);
  c.bytes[1] = immed ? 0x02 : 0x00;
  put_be32(&c.bytes[2], lba);
  put_be16(&c.bytes[7], blocks);
  return c;
}

Cdb read_buffer_capacity(bool block, uint16_t allocation_length) {
  Cdb c = make(opcode::kReadBufferCapacity, 10);
  c.bytes[1] = block ? 0x01 : 0x00;
  put_be16(&c.bytes[7], allocation_length);
  return c;
}

Cdb start_stop_unit(bool load_eject, bool start, bool immed, uint8_t power_condition) {
  Cdb c = make(opcode::kStartStopUnit, 6);
  c.bytes[1] = immed ? 0x01 : 0x00;
  c.bytes[4] = static_cast<uint8_t>((power_condition & 0x0F) << 4) | (load_eject ? 0x02 : 0x00) |
               (start ? 0x01 : 0x00);
  return c;
}

Cdb prevent_allow_medium_removal(bool prevent) {
  Cdb c = make(opcode::kPreventAllowMediumRemoval, 6);
  c.bytes[4] = prevent ? 0x01 : 0x00;
  return c;
}

Cdb get_event_status_notification(uint8_t class_request, uint16_t allocation_length) {
  Cdb c = make(opcode::kGetEventStatusNotification, 10);
  c.bytes[1] = 0x01;  // Polled: asynchronous notification is not supported by MMC drives
  c.bytes[4] = class_request;
  put_be16(&c.bytes[7], allocation_length);
  return c;
}

Cdb mode_sense10(uint8_t page_code, PageControl pc, uint16_t allocation_length, bool dbd,
                 uint8_t subpage) {
  Cdb c = make(opcode::kModeSense10, 10);
  c.bytes[1] = dbd ? 0x08 : 0x00;
  c.bytes[2] = static_cast<uint8_t>((static_cast<uint8_t>(pc) & 0x03) << 6) | (page_code & 0x3F);
  c.bytes[3] = subpage;
  put_be16(&c.bytes[7], allocation_length);
  return c;
}

Cdb mode_select10(uint16_t parameter_length) {
  Cdb c = make(opcode::kModeSelect10, 10);
  c.bytes[1] = 0x10;  // PF: the page format is the standard one
  put_be16(&c.bytes[7], parameter_length);
  return c;
}

Cdb format_unit(bool cmplist) {
  Cdb c = make(opcode::kFormatUnit, 6);
  c.bytes[1] = 0x10 | (cmplist ? 0x08 : 0x00) | 0x01;
  return c;
}

Cdb read_format_capacities(uint16_t allocation_length) {
  Cdb c = make(opcode::kReadFormatCapacities, 10);
  put_be16(&c.bytes[7], allocation_length);
  return c;
}

Cdb read_capacity() { return make(opcode::kReadCapacity, 10); }

namespace {
Cdb rw12(uint8_t op, uint32_t lba, uint32_t blocks, bool streaming, bool fua) {
  Cdb c = make(op, 12);
  c.bytes[1] = fua ? 0x08 : 0x00;
  put_be32(&c.bytes[2], lba);
  put_be32(&c.bytes[6], blocks);
  c.bytes[10] = streaming ? 0x80 : 0x00;
  return c;
}
}  // namespace

Cdb read12(uint32_t lba, uint32_t blocks, bool streaming, bool fua) {
  return rw12(opcode::kRead12, lba, blocks, streaming, fua);
}
Cdb write12(uint32_t lba, uint32_t blocks, bool streaming, bool fua) {
  return rw12(opcode::kWrite12, lba, blocks, streaming, fua);
}

std::array<uint8_t, 28> streaming_performance_descriptor(const StreamingPerformance& p) {
  std::array<uint8_t, 28> d{};
  d[0] = static_cast<uint8_t>((p.wrc & 0x03) << 3) | (p.restore_defaults ? 0x04 : 0) |
         (p.exact ? 0x02 : 0) | (p.random_access ? 0x01 : 0);
  put_be32(&d[4], p.start_lba);
  put_be32(&d[8], p.end_lba);
  put_be32(&d[12], p.read_size_kb);
  put_be32(&d[16], p.read_time_ms);
  put_be32(&d[20], p.write_size_kb);
  put_be32(&d[24], p.write_time_ms);
  return d;
}

std::array<uint8_t, 12> format_unit_parameters(const FormatDescriptor& d, bool immed) {
  std::array<uint8_t, 12> p{};
  // FOV must be set for Immed to count (MMC.md §10.1).
  p[1] = immed ? (0x80 | 0x02) : 0x00;
  put_be16(&p[2], 8);
  put_be32(&p[4], d.blocks);
  p[8] = static_cast<uint8_t>((d.format_type & 0x3F) << 2) | (d.sub_type & 0x03);
  put_be24(&p[9], d.type_parameter);
  return p;
}

}  // namespace discrec::device::mmc
