// Byte-exact CDBs for every command (MMC.md §17 cheat-sheet and the section
// of each command).
#include "device/mmc/cdb.h"

#include <gtest/gtest.h>

#include <vector>

namespace discrec::device::mmc {
namespace {

std::vector<uint8_t> bytes(const Cdb& c) { return {c.span().begin(), c.span().end()}; }
using V = std::vector<uint8_t>;

TEST(MmcCdb, SpcBasics) {
  EXPECT_EQ(bytes(test_unit_ready()), (V{0x00, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(request_sense()), (V{0x03, 0, 0, 0, 0x12, 0}));
  EXPECT_EQ(bytes(request_sense(252, true)), (V{0x03, 1, 0, 0, 0xFC, 0}));
  EXPECT_EQ(bytes(inquiry(36)), (V{0x12, 0, 0, 0, 0x24, 0}));
  EXPECT_EQ(bytes(inquiry(0x1234)), (V{0x12, 0, 0, 0x12, 0x34, 0}));
  EXPECT_EQ(bytes(read_capacity()), (V{0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(MmcCdb, GetConfiguration) {
  EXPECT_EQ(bytes(get_configuration(ConfigurationRequest::kAll, 0, 0x1000)),
            (V{0x46, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0}));
  EXPECT_EQ(bytes(get_configuration(ConfigurationRequest::kOne, 0x0107, 16)),
            (V{0x46, 0x02, 0x01, 0x07, 0, 0, 0, 0x00, 0x10, 0}));
  EXPECT_EQ(bytes(get_configuration(ConfigurationRequest::kCurrent, 0, 8)),
            (V{0x46, 0x01, 0, 0, 0, 0, 0, 0, 0x08, 0}));
}

TEST(MmcCdb, GetPerformance) {
  EXPECT_EQ(bytes(get_performance_write_speed(0x0102)),
            (V{0xAC, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0}));
  EXPECT_EQ(bytes(get_performance_nominal(false, PerformanceExcept::kNominal, 0x11223344, 1)),
            (V{0xAC, 0x10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1, 0x00, 0}));
  EXPECT_EQ(bytes(get_performance_nominal(true, PerformanceExcept::kNominal, 0, 8)),
            (V{0xAC, 0x14, 0, 0, 0, 0, 0, 0, 0, 8, 0x00, 0}));
  EXPECT_EQ(bytes(get_performance_nominal(true, PerformanceExcept::kExceptionsOnly, 0, 8))[1], 0x16);
}

TEST(MmcCdb, SpeedAndOpc) {
  EXPECT_EQ(bytes(set_streaming()), (V{0xB6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1C, 0}));
  EXPECT_EQ(bytes(set_cd_speed(0xFFFF, 0xFFFF)),
            (V{0xBB, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(set_cd_speed(0x1234, 0x0CFC, 1)),
            (V{0xBB, 1, 0x12, 0x34, 0x0C, 0xFC, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(send_opc_information(true)), (V{0x54, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(send_opc_information(true, true, true, 8)), (V{0x54, 1, 3, 0, 0, 0, 0, 0, 8, 0}));
}

TEST(MmcCdb, DiscAndTrack) {
  EXPECT_EQ(bytes(read_disc_information()), (V{0x51, 0, 0, 0, 0, 0, 0, 0, 0x22, 0}));
  EXPECT_EQ(bytes(read_track_information(TrackAddressType::kTrackNumber, 0xFF)),
            (V{0x52, 1, 0, 0, 0, 0xFF, 0, 0, 0x30, 0}));
  EXPECT_EQ(bytes(read_track_information(TrackAddressType::kLba, 0x01020304, 36)),
            (V{0x52, 0, 1, 2, 3, 4, 0, 0, 36, 0}));
  EXPECT_EQ(bytes(read_track_information(TrackAddressType::kSessionNumber, 2))[1], 2);
  EXPECT_EQ(bytes(reserve_track(0x00012345)), (V{0x53, 0, 0, 0, 0, 0x00, 0x01, 0x23, 0x45, 0}));
  EXPECT_EQ(bytes(close_track_session(1, 0x0102, true)), (V{0x5B, 1, 1, 0, 0x01, 0x02, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(close_track_session(2, 0, true)), (V{0x5B, 1, 2, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(close_track_session(5, 0, false)), (V{0x5B, 0, 5, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(synchronize_cache(true)), (V{0x35, 2, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(synchronize_cache(false, 0x10, 0x20)), (V{0x35, 0, 0, 0, 0, 0x10, 0, 0, 0x20, 0}));
  EXPECT_EQ(bytes(read_buffer_capacity(true)), (V{0x5C, 1, 0, 0, 0, 0, 0, 0, 0x0C, 0}));
  EXPECT_EQ(bytes(read_buffer_capacity(false)), (V{0x5C, 0, 0, 0, 0, 0, 0, 0, 0x0C, 0}));
}

TEST(MmcCdb, Mechanism) {
  EXPECT_EQ(bytes(start_stop_unit(true, false, false)), (V{0x1B, 0, 0, 0, 0x02, 0}));
  EXPECT_EQ(bytes(start_stop_unit(true, true, false)), (V{0x1B, 0, 0, 0, 0x03, 0}));
  EXPECT_EQ(bytes(start_stop_unit(false, true, true)), (V{0x1B, 1, 0, 0, 0x01, 0}));
  EXPECT_EQ(bytes(prevent_allow_medium_removal(true)), (V{0x1E, 0, 0, 0, 1, 0}));
  EXPECT_EQ(bytes(prevent_allow_medium_removal(false)), (V{0x1E, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(get_event_status_notification(0x10)), (V{0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0}));
}

TEST(MmcCdb, ModePagesAndFormat) {
  EXPECT_EQ(bytes(mode_sense10(0x05, PageControl::kCurrent, 0x40)),
            (V{0x5A, 0x08, 0x05, 0, 0, 0, 0, 0, 0x40, 0}));
  EXPECT_EQ(bytes(mode_sense10(0x2A, PageControl::kChangeable, 0x100, false)),
            (V{0x5A, 0x00, 0x6A, 0, 0, 0, 0, 0x01, 0x00, 0}));
  EXPECT_EQ(bytes(mode_select10(60)), (V{0x55, 0x10, 0, 0, 0, 0, 0, 0, 60, 0}));
  EXPECT_EQ(bytes(format_unit()), (V{0x04, 0x11, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(format_unit(true)), (V{0x04, 0x19, 0, 0, 0, 0}));
  EXPECT_EQ(bytes(read_format_capacities(0xFC)), (V{0x23, 0, 0, 0, 0, 0, 0, 0, 0xFC, 0}));
}

TEST(MmcCdb, ReadWrite12StreamingBit) {
  EXPECT_EQ(bytes(write12(0x00123456, 16, true)),
            (V{0xAA, 0, 0x00, 0x12, 0x34, 0x56, 0, 0, 0, 0x10, 0x80, 0}));
  EXPECT_EQ(bytes(write12(0x10, 0x20, true, true)),
            (V{0xAA, 0x08, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 0x80, 0}));
  EXPECT_EQ(bytes(write12(0, 16, false)), (V{0xAA, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0}));
  EXPECT_EQ(bytes(read12(0xA0B0C0D0, 0x01020304, true)),
            (V{0xA8, 0, 0xA0, 0xB0, 0xC0, 0xD0, 0x01, 0x02, 0x03, 0x04, 0x80, 0}));
  EXPECT_EQ(bytes(read12(0, 1, false))[10], 0x00);
}

TEST(MmcCdb, StreamingPerformanceDescriptor) {
  StreamingPerformance p;
  p.wrc = 1;
  p.exact = true;
  p.start_lba = 0;
  p.end_lba = 0x0023053F;
  p.read_size_kb = 3324;
  p.write_size_kb = 5540;
  auto d = streaming_performance_descriptor(p);
  EXPECT_EQ(V(d.begin(), d.end()),
            (V{0x0A, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x23, 0x05, 0x3F, 0, 0, 0x0C, 0xFC, 0, 0, 0x03,
               0xE8, 0, 0, 0x15, 0xA4, 0, 0, 0x03, 0xE8}));
  StreamingPerformance rdd;
  rdd.restore_defaults = true;
  rdd.random_access = true;
  EXPECT_EQ(streaming_performance_descriptor(rdd)[0], 0x05);
}

TEST(MmcCdb, FormatUnitParameters) {
  FormatDescriptor d;
  d.blocks = 0xFFFFFFFF;
  d.format_type = 0x26;
  d.type_parameter = 0;
  auto p = format_unit_parameters(d, true);
  EXPECT_EQ(V(p.begin(), p.end()), (V{0, 0x82, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0x98, 0, 0, 0}));
  FormatDescriptor bd;
  bd.blocks = 0x00BA8000;
  bd.format_type = 0x30;
  bd.sub_type = 2;
  bd.type_parameter = 0x000800;
  auto q = format_unit_parameters(bd, false);
  EXPECT_EQ(V(q.begin(), q.end()), (V{0, 0, 0, 8, 0x00, 0xBA, 0x80, 0x00, 0xC2, 0x00, 0x08, 0x00}));
}

TEST(MmcCdb, CommandNames) {
  EXPECT_STREQ(command_name(opcode::kWrite12), "WRITE(12)");
  EXPECT_STREQ(command_name(opcode::kGetConfiguration), "GET CONFIGURATION");
  EXPECT_STREQ(command_name(0xEE), "SCSI command");
}

}  // namespace
}  // namespace discrec::device::mmc
