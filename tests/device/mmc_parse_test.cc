// Parsers against real tgt responses, hand-built responses for features tgt
// does not emulate (BD, DVD-RAM, DVD-R), and malformed data.
#include "device/mmc/parse.h"

#include <gtest/gtest.h>

#include "device/mmc/bytes.h"
#include "tests/device/tgt_captures.h"

namespace discrec::device::mmc {
namespace {

using testdata::from_hex;
using Bytes = std::vector<uint8_t>;

template <typename T>
void expect_malformed(const Result<T>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kMalformedResponse) << r.error().to_string();
}

TEST(MmcParse, InquiryFromTgt) {
  auto r = parse_inquiry(from_hex(testdata::kInquiry));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->peripheral_device_type, 0x05);
  EXPECT_TRUE(r->removable);
  EXPECT_EQ(r->vendor, "STGT_DVD");
  EXPECT_EQ(r->product, "DVD101");
  EXPECT_EQ(r->revision, "0010");
}

TEST(MmcParse, InquiryMalformed) {
  Bytes d = from_hex(testdata::kInquiry);
  expect_malformed(parse_inquiry(std::span(d).first(35)));
  d[4] = 10;  // additional length says the strings are not there
  expect_malformed(parse_inquiry(d));
}

TEST(MmcParse, ConfigurationFromTgtBlankDvdPlusR) {
  auto r = parse_configuration(from_hex(testdata::kConfigurationAll));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const Configuration& c = *r;
  EXPECT_EQ(c.current_profile, profile::kDvdPlusR);
  ASSERT_EQ(c.profiles.size(), 2u);
  EXPECT_EQ(c.profiles[0].number, profile::kDvdRom);
  EXPECT_FALSE(c.profiles[0].current);
  EXPECT_EQ(c.profiles[1].number, profile::kDvdPlusR);
  EXPECT_TRUE(c.profiles[1].current);
  // Core: ATAPI.
  EXPECT_TRUE(c.core.present);
  EXPECT_TRUE(c.core.current);
  EXPECT_EQ(c.core.physical_interface, 2u);
  // Removable medium 0x29: tray, eject, lock.
  EXPECT_TRUE(c.removable_medium.present);
  EXPECT_EQ(c.removable_medium.loading_mechanism, 1);
  EXPECT_TRUE(c.removable_medium.eject);
  EXPECT_TRUE(c.removable_medium.lock);
  EXPECT_FALSE(c.removable_medium.load);
  EXPECT_FALSE(c.removable_medium.prevent_jumper);
  // Random readable present but not current on blank DVD+R.
  EXPECT_TRUE(c.random_readable.present);
  EXPECT_FALSE(c.random_readable.current);
  EXPECT_EQ(c.random_readable.block_size, 2048u);
  EXPECT_EQ(c.random_readable.blocking, 16);
  EXPECT_TRUE(c.random_readable.page_present);
  EXPECT_TRUE(c.power_management.present);
  EXPECT_FALSE(c.random_writable.present);
  EXPECT_FALSE(c.bd_write.present);
  // 0x0107: version 3, flags 0x1F, present but NOT current on blank DVD+R (tgt quirk).
  EXPECT_TRUE(c.rt_streaming.present);
  EXPECT_FALSE(c.rt_streaming.current);
  EXPECT_FALSE(c.rt_streaming.persistent);
  EXPECT_EQ(c.rt_streaming.version, 3);
  EXPECT_TRUE(c.rt_streaming.stream_writing);
  EXPECT_TRUE(c.rt_streaming.write_speed_in_get_perf);
  EXPECT_TRUE(c.rt_streaming.write_speed_in_mp2a);
  EXPECT_TRUE(c.rt_streaming.set_cd_speed);
  EXPECT_TRUE(c.rt_streaming.read_buffer_capacity_block);
  ASSERT_NE(c.find(0x002B), nullptr);
  EXPECT_TRUE(c.find(0x002B)->current);
  EXPECT_EQ(c.find(0x010A)->data.size(), 12u);
  EXPECT_EQ(c.find(0x9999), nullptr);
}

TEST(MmcParse, ConfigurationFromTgtClosedDiscIsDvdRomWithStreamingCurrent) {
  auto r = parse_configuration(from_hex(testdata::kConfigurationClosedDvdRom));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->current_profile, profile::kDvdRom);
  ASSERT_EQ(r->profiles.size(), 2u);
  EXPECT_TRUE(r->profiles[0].current);
  EXPECT_FALSE(r->profiles[1].current);
  EXPECT_TRUE(r->random_readable.current);
  EXPECT_TRUE(r->rt_streaming.present);
  EXPECT_TRUE(r->rt_streaming.current);
  EXPECT_TRUE(r->rt_streaming.stream_writing);
  EXPECT_FALSE(r->find(0x002B)->current);  // DVD+R feature no longer current
  auto d = parse_disc_information(from_hex(testdata::kDiscInformationClosed));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, DiscStatus::kComplete);
  EXPECT_EQ(d->last_session_state, SessionState::kComplete);
}

TEST(MmcParse, ConfigurationSingleFeature) {
  auto r = parse_configuration(from_hex(testdata::kConfiguration0107));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->features.size(), 1u);
  EXPECT_TRUE(r->rt_streaming.present);
  EXPECT_EQ(r->current_profile, profile::kDvdPlusR);
}

TEST(MmcParse, ConfigurationLengthHelper) {
  auto n = configuration_total_length(from_hex(testdata::kConfigurationAll).data() == nullptr
                                          ? Bytes{}
                                          : Bytes(from_hex("000000700000001b")));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0x74u);
  expect_malformed(configuration_total_length(from_hex("00000070")));
  expect_malformed(configuration_total_length(from_hex("0000000200000000")));
}

// Hand-built: BD-RE drive with every typed feature tgt does not emulate.
Bytes bd_configuration() {
  std::string h =
      "0043"        // current profile BD-RE (header bytes 6-7 appended below)
      ;
  std::string features =
      "0000030c" "00430100" "00410000" "00120000"        // profiles: BD-RE current, BD-R, DVD-RAM
      "00010708" "00000001" "03000000"                   // core v1: SCSI, DBE+INQ2
      "00030304" "3d000000"                              // removable: tray, load, eject, jumper, lock
      "00200d0c" "00ba7fff" "00000800" "00200100"        // random writable v3: last LBA, 2048, 32, PP
      "00210108" "00010701" "10000000"                   // incremental: types 1, TRIO ARSV BUF, 1 link size 16
      "00230508" "0f800000" "01000000"                   // formattable v1: all bits, FRF, RRM
      "00240304" "80000000"                              // HW defect mgmt current, SSA
      "00260000"                                         // restricted overwrite, not current
      "002f0504" "4e000000"                              // DVD-R write: BUF RDL TestWrite DVD-RW
      "0040051c" "00000000" "0001000200030004" "0005000600070008" "0009001000110012"
      "00410514" "01000000" "00aa00bb00cc00dd" "00ee00ff01010202"
      "01000300"                                         // power management
      "01070f04" "03000000";                             // RT streaming v3 current persistent: SW, WSPD
  size_t total = 8 + features.size() / 2;
  char hdr[20];
  std::snprintf(hdr, sizeof hdr, "%08zx0000", total - 4);
  return from_hex(std::string(hdr) + h + features);
}

TEST(MmcParse, ConfigurationEveryTypedFeature) {
  auto r = parse_configuration(bd_configuration());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const Configuration& c = *r;
  EXPECT_EQ(c.current_profile, profile::kBdRe);
  ASSERT_EQ(c.profiles.size(), 3u);
  EXPECT_TRUE(c.profiles[0].current);
  EXPECT_EQ(c.core.physical_interface, 1u);
  EXPECT_EQ(c.core.version, 1);
  EXPECT_TRUE(c.core.dbe);
  EXPECT_TRUE(c.core.inq2);
  EXPECT_EQ(c.removable_medium.loading_mechanism, 1);
  EXPECT_TRUE(c.removable_medium.load);
  EXPECT_TRUE(c.removable_medium.eject);
  EXPECT_TRUE(c.removable_medium.prevent_jumper);
  EXPECT_FALSE(c.removable_medium.dbml);
  EXPECT_TRUE(c.removable_medium.lock);
  EXPECT_TRUE(c.random_writable.current);
  EXPECT_EQ(c.random_writable.version, 3);
  EXPECT_EQ(c.random_writable.last_lba, 0x00BA7FFFu);
  EXPECT_EQ(c.random_writable.block_size, 2048u);
  EXPECT_EQ(c.random_writable.blocking, 32);
  EXPECT_TRUE(c.random_writable.page_present);
  EXPECT_EQ(c.incremental_streaming.data_block_types, 1);
  EXPECT_TRUE(c.incremental_streaming.trio);
  EXPECT_TRUE(c.incremental_streaming.arsv);
  EXPECT_TRUE(c.incremental_streaming.buf);
  ASSERT_EQ(c.incremental_streaming.link_sizes.size(), 1u);
  EXPECT_EQ(c.incremental_streaming.link_sizes[0], 16);
  EXPECT_TRUE(c.formattable.cert && c.formattable.qcert && c.formattable.expand && c.formattable.renosa);
  EXPECT_TRUE(c.formattable.frf);
  EXPECT_TRUE(c.formattable.rrm);
  EXPECT_TRUE(c.defect_management.current);
  EXPECT_TRUE(c.defect_management.ssa);
  EXPECT_TRUE(c.restricted_overwrite.present);
  EXPECT_FALSE(c.restricted_overwrite.current);
  EXPECT_TRUE(c.dvd_r_write.buf && c.dvd_r_write.rdl && c.dvd_r_write.test_write && c.dvd_r_write.dvd_rw);
  EXPECT_EQ(c.bd_read.bd_re_class[0], 1);
  EXPECT_EQ(c.bd_read.bd_re_class[3], 4);
  EXPECT_EQ(c.bd_read.bd_r_class[0], 5);
  EXPECT_EQ(c.bd_read.bd_rom_class[0], 9);
  EXPECT_EQ(c.bd_read.bd_rom_class[2], 0x11);
  EXPECT_TRUE(c.bd_write.svnr);
  EXPECT_EQ(c.bd_write.bd_re_class[0], 0xAA);
  EXPECT_EQ(c.bd_write.bd_r_class[3], 0x0202);
  EXPECT_TRUE(c.power_management.current);
  EXPECT_TRUE(c.rt_streaming.current);
  EXPECT_TRUE(c.rt_streaming.persistent);
  EXPECT_TRUE(c.rt_streaming.stream_writing);
  EXPECT_TRUE(c.rt_streaming.write_speed_in_get_perf);
  EXPECT_FALSE(c.rt_streaming.write_speed_in_mp2a);
  EXPECT_FALSE(c.rt_streaming.set_cd_speed);
  EXPECT_FALSE(c.rt_streaming.read_buffer_capacity_block);
}

TEST(MmcParse, ConfigurationMalformed) {
  Bytes d = from_hex(testdata::kConfigurationAll);
  // Lying data length: says more than was returned.
  Bytes lying = d;
  lying[3] = 0xF0;
  expect_malformed(parse_configuration(lying));
  // Truncated mid-descriptor (length field adjusted to the cut).
  for (size_t cut = 9; cut < d.size(); ++cut) {
    Bytes t(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(cut));
    mmc::put_be32(t.data(), static_cast<uint32_t>(cut - 4));
    auto r = parse_configuration(t);
    // Cuts exactly at a descriptor boundary parse; all others must fail.
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::kMalformedResponse);
    }
  }
  Bytes cut_inside_0107 = from_hex(testdata::kConfiguration0107);
  cut_inside_0107[3] = 0x0A;  // header + 2 bytes of the feature header
  expect_malformed(parse_configuration(std::span(cut_inside_0107).first(14)));
  // Feature additional length runs past the end.
  Bytes runs_past = from_hex(testdata::kConfiguration0107);
  runs_past[11] = 0x20;
  expect_malformed(parse_configuration(runs_past));
  // Core with too little data.
  expect_malformed(parse_configuration(from_hex("0000000c0000000000010302000000000000")));
  // Out-of-order features.
  expect_malformed(parse_configuration(from_hex("00000010000000000107000000010000000000000000")));
  // Profile list not a multiple of 4.
  expect_malformed(parse_configuration(from_hex("0000000b00000000000003030010010000")));
}

TEST(MmcParse, WriteSpeedsFromTgt) {
  auto r = parse_write_speed_descriptors(from_hex(testdata::kPerformanceWriteSpeed));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE((*r)[0].mrw);
  EXPECT_FALSE((*r)[0].exact);
  EXPECT_EQ((*r)[0].wrc, 0);
  EXPECT_EQ((*r)[0].end_lba, 2295103u);
  EXPECT_EQ((*r)[0].read_kbps, 3324u);
  EXPECT_EQ((*r)[0].write_kbps, 3324u);
}

TEST(MmcParse, NominalPerformanceFromTgt) {
  auto w = parse_performance_descriptors(from_hex(testdata::kPerformanceNominalWrite));
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  ASSERT_EQ(w->size(), 1u);
  EXPECT_EQ((*w)[0].start_lba, 0u);
  EXPECT_EQ((*w)[0].start_kbps, 5540u);
  EXPECT_EQ((*w)[0].end_lba, 2295103u);
  EXPECT_EQ((*w)[0].end_kbps, 5540u);
  EXPECT_TRUE(parse_performance_descriptors(from_hex(testdata::kPerformanceNominalRead)).ok());
}

TEST(MmcParse, PerformanceTruncationAndLies) {
  Bytes d = from_hex(testdata::kPerformanceWriteSpeed);
  // Allocation cut the descriptor: announced but not returned, so none.
  auto partial = parse_write_speed_descriptors(std::span(d).first(20));
  ASSERT_TRUE(partial.ok());
  EXPECT_TRUE(partial->empty());
  expect_malformed(parse_write_speed_descriptors(std::span(d).first(7)));
  Bytes odd = d;
  odd[3] = 0x13;  // not header + whole descriptors
  expect_malformed(parse_write_speed_descriptors(odd));
  Bytes tiny = d;
  tiny[3] = 0x02;
  expect_malformed(parse_write_speed_descriptors(tiny));
  // Announces 1000 descriptors, returns one: parse what is there.
  Bytes big = d;
  mmc::put_be32(big.data(), 4 + 16 * 1000);
  auto many = parse_write_speed_descriptors(big);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->size(), 1u);
  Bytes backwards = from_hex(testdata::kPerformanceNominalWrite);
  backwards[16] = 0;
  backwards[17] = 0;
  backwards[18] = 0;
  backwards[19] = 0;
  backwards[11] = 0x10;  // start 16 > end 0
  expect_malformed(parse_performance_descriptors(backwards));
}

TEST(MmcParse, DiscInformationFromTgt) {
  auto r = parse_disc_information(from_hex(testdata::kDiscInformation));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, DiscStatus::kBlank);
  EXPECT_EQ(r->last_session_state, SessionState::kEmpty);
  EXPECT_FALSE(r->erasable);
  EXPECT_EQ(r->first_track, 1);
  EXPECT_EQ(r->sessions, 1);
  EXPECT_EQ(r->first_track_in_last_session, 1);
  EXPECT_EQ(r->last_track_in_last_session, 1);
  EXPECT_EQ(r->last_possible_lead_out, 0x00230540u);
  EXPECT_EQ(r->opc_entries, 0);
}

TEST(MmcParse, DiscInformationFieldsAndMalformed) {
  Bytes d = from_hex(testdata::kDiscInformation);
  d[2] = 0x1E;  // erasable, session complete, disc complete
  d[7] = 0xA3;  // DID_V, URU, BG format completed
  d[9] = 0x01;  // sessions MSB
  d[33] = 2;
  auto r = parse_disc_information(d);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->erasable);
  EXPECT_EQ(r->last_session_state, SessionState::kComplete);
  EXPECT_EQ(r->status, DiscStatus::kComplete);
  EXPECT_TRUE(r->disc_id_valid);
  EXPECT_TRUE(r->unrestricted_use);
  EXPECT_EQ(r->bg_format_status, 3);
  EXPECT_EQ(r->sessions, 0x0101);
  EXPECT_EQ(r->opc_entries, 2);
  expect_malformed(parse_disc_information(std::span(d).first(33)));
  Bytes lying = from_hex(testdata::kDiscInformation);
  lying[1] = 0x10;  // length says 18 bytes
  expect_malformed(parse_disc_information(lying));
  expect_malformed(parse_disc_information(Bytes{0x00}));
}

TEST(MmcParse, TrackInformationFromTgt) {
  auto r = parse_track_information(from_hex(testdata::kTrackInformation));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->track_number, 1);
  EXPECT_EQ(r->session_number, 1);
  EXPECT_EQ(r->track_mode, 7);
  EXPECT_TRUE(r->blank);
  EXPECT_FALSE(r->reserved_track);
  EXPECT_EQ(r->data_mode, 1);
  EXPECT_TRUE(r->nwa_valid);
  EXPECT_FALSE(r->lra_valid);
  EXPECT_EQ(r->start_lba, 0u);
  EXPECT_EQ(r->next_writable_address, 0u);
  EXPECT_EQ(r->free_blocks, 0x00230540u);
  EXPECT_EQ(r->fixed_packet_size, 16u);
  EXPECT_EQ(r->track_size, 0x00230540u);
}

TEST(MmcParse, TrackInformationShortFormsAndMalformed) {
  Bytes d = from_hex(testdata::kTrackInformation);
  // MMC-1 length: 28 bytes, no LRA or MSB fields.
  Bytes old(d.begin(), d.begin() + 28);
  old[1] = 26;
  old[7] |= 0x02;  // LRA_V claimed but the field is absent
  auto r = parse_track_information(old);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->lra_valid);
  EXPECT_EQ(r->free_blocks, 0x00230540u);
  expect_malformed(parse_track_information(std::span(d).first(27)));
  Bytes lying = d;
  lying[1] = 4;
  expect_malformed(parse_track_information(lying));
}

TEST(MmcParse, BufferCapacityFromTgt) {
  auto b = parse_buffer_capacity(from_hex(testdata::kBufferCapacity), false);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->in_blocks);
  EXPECT_EQ(b->length, 0x00800000u);
  EXPECT_EQ(b->available, 0x00400000u);
  auto k = parse_buffer_capacity(from_hex(testdata::kBufferCapacityBlocks), true);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->in_blocks);
  EXPECT_EQ(k->length, 0u);
  EXPECT_EQ(k->available, 0x800u);
  Bytes d = from_hex(testdata::kBufferCapacity);
  expect_malformed(parse_buffer_capacity(std::span(d).first(11), false));
  d[1] = 4;
  expect_malformed(parse_buffer_capacity(d, false));
}

TEST(MmcParse, ReadCapacity) {
  auto r = parse_read_capacity(from_hex(testdata::kReadCapacity));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->last_lba, 0u);
  EXPECT_EQ(r->block_length, 2048u);
  expect_malformed(parse_read_capacity(from_hex("00000000000008")));
}

TEST(MmcParse, FormatCapacities) {
  // BD-RE: current formatted 12219392 blocks of 2048; two formattable descriptors (00h, 30h).
  auto r = parse_format_capacities(from_hex("00000018" "00ba7400" "02000800" "00ba7400" "00000800"
                                            "00ba7400" "c0000800"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->current_blocks, 0x00BA7400u);
  EXPECT_EQ(r->current_descriptor_type, 2);
  EXPECT_EQ(r->current_block_length, 2048u);
  ASSERT_EQ(r->formattable.size(), 2u);
  EXPECT_EQ(r->formattable[0].type, 0x00);
  EXPECT_EQ(r->formattable[1].type, 0x30);
  EXPECT_EQ(r->formattable[1].parameter, 0x800u);
  // List length cut by the allocation: whole descriptors only.
  auto cut = parse_format_capacities(from_hex("00000018" "00ba7400" "02000800" "00ba7400" "000008"));
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->formattable.empty());
  expect_malformed(parse_format_capacities(from_hex("00000007" "00ba7400" "02000800")));
  expect_malformed(parse_format_capacities(from_hex("00000008" "00ba7400" "020008")));
}

TEST(MmcParse, EventStatus) {
  auto r = parse_event_status(from_hex("0006" "04" "54" "02" "02" "0000"));  // media: new media, present
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->no_event_available);
  EXPECT_EQ(r->notification_class, 4);
  EXPECT_EQ(r->supported_classes, 0x54);
  EXPECT_EQ(r->media_event, 2);
  EXPECT_TRUE(r->media_present);
  EXPECT_FALSE(r->tray_open);
  auto none = parse_event_status(from_hex("0002" "80" "54"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->no_event_available);
  expect_malformed(parse_event_status(from_hex("000204" "54")));        // event without descriptor
  expect_malformed(parse_event_status(from_hex("00060454" "0202")));    // descriptor cut
  expect_malformed(parse_event_status(from_hex("0006")));
}

TEST(MmcParse, ModePage05FromTgtAndRoundTrip) {
  Bytes d = from_hex(testdata::kModeSense05);
  auto r = parse_mode_page_05(d);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->buffer_underrun_free);  // tgt default page byte 2 = 0x62
  EXPECT_TRUE(r->link_size_valid);
  EXPECT_FALSE(r->test_write);
  EXPECT_EQ(r->write_type, 2);
  EXPECT_EQ(r->multi_session, 0);
  EXPECT_EQ(r->track_mode, 5);
  EXPECT_EQ(r->data_block_type, 8);
  EXPECT_EQ(r->link_size, 0x10);
  EXPECT_EQ(r->raw.size(), 0x34u);
  ModePage05 m = *r;
  m.write_type = 0;
  m.test_write = true;
  m.multi_session = 3;
  m.fixed_packet = true;
  m.packet_size = 16;
  Bytes sel = mode_select_page_05(m);
  ASSERT_EQ(sel.size(), 8u + 0x34u);
  EXPECT_EQ(sel[0], 0);
  EXPECT_EQ(sel[1], 0);
  EXPECT_EQ(sel[8], 0x05);
  EXPECT_EQ(sel[9], 0x32);
  EXPECT_EQ(sel[10], 0x70);  // BUFE | LS_V | TestWrite | type 0
  EXPECT_EQ(sel[11], 0xE5);  // multi 11b | FP | track mode 5
  EXPECT_EQ(sel[18 + 3], 16);
  EXPECT_EQ(sel[8 + 15], d[8 + 15]);  // untouched field echoed (audio pause length)
  // Parse what we would send (as MODE SENSE data) and get the same fields.
  Bytes as_sense = sel;
  mmc::put_be16(as_sense.data(), static_cast<uint16_t>(as_sense.size() - 2));
  auto back = parse_mode_page_05(as_sense);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->test_write);
  EXPECT_EQ(back->packet_size, 16u);
  // A page synthesised from nothing has LBN's default length.
  EXPECT_EQ(mode_select_page_05(ModePage05{}).size(), 8u + 0x34u);
}

TEST(MmcParse, ModePage05Malformed) {
  Bytes d = from_hex(testdata::kModeSense05);
  expect_malformed(parse_mode_page_05(std::span(d).first(7)));
  expect_malformed(parse_mode_page_05(std::span(d).first(30)));  // page truncated
  Bytes wrong = d;
  wrong[8] = 0x2A;
  expect_malformed(parse_mode_page_05(wrong));
  Bytes bd = d;
  bd[7] = 0xF0;  // block descriptors past the end
  expect_malformed(parse_mode_page_05(bd));
  Bytes short_page = d;
  short_page[9] = 4;
  expect_malformed(parse_mode_page_05(short_page));
}

// Every prefix of every capture: parsers must either parse or fail cleanly
// (ASan/UBSan builds catch any out-of-bounds read).
TEST(MmcParse, EveryPrefixOfEveryCaptureIsSafe) {
  const std::string_view captures[] = {
      testdata::kInquiry,          testdata::kConfigurationAll,    testdata::kConfiguration0107,
      testdata::kPerformanceWriteSpeed, testdata::kPerformanceNominalWrite, testdata::kDiscInformation,
      testdata::kTrackInformation, testdata::kBufferCapacity,      testdata::kModeSense05,
      testdata::kReadCapacity};
  for (auto hex : captures) {
    Bytes full = from_hex(hex);
    for (size_t n = 0; n <= full.size(); ++n) {
      std::span<const uint8_t> p(full.data(), n);
      (void)parse_inquiry(p);
      (void)parse_configuration(p);
      (void)parse_write_speed_descriptors(p);
      (void)parse_performance_descriptors(p);
      (void)parse_disc_information(p);
      (void)parse_track_information(p);
      (void)parse_buffer_capacity(p, n % 2);
      (void)parse_read_capacity(p);
      (void)parse_format_capacities(p);
      (void)parse_event_status(p);
      (void)parse_mode_page_05(p);
    }
  }
}

}  // namespace
}  // namespace discrec::device::mmc
