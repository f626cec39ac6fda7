// Drive::probe(): one capabilities value from INQUIRY, TEST UNIT READY, GET
// CONFIGURATION, GET PERFORMANCE, READ DISC/TRACK INFORMATION and READ
// BUFFER CAPACITY. Only INQUIRY and GET CONFIGURATION are required; every
// other answer that is missing is recorded in `notes`, not guessed.
#include "device/drive.h"

namespace discrec::device {
namespace {

void note(DriveCapabilities& caps, const Error& e) { caps.notes.push_back(e.to_string()); }

// Profiles on which writing is random access at LBA 0 (no NWA to look up).
bool overwritable(uint16_t p) {
  return p == profile::kDvdRam || p == profile::kDvdPlusRw || p == profile::kDvdRwRestricted ||
         p == profile::kBdRe || p == profile::kBdRRrm;
}

}  // namespace

DriveQuirks Drive::look_up_quirks(const InquiryData& id) {
  std::lock_guard lock(mutex_);
  quirks_.applied = quirk_table_ ? quirk_table_->lookup(id.vendor, id.product, id.revision)
                                 : std::vector<DriveQuirk>();
  streaming_min_write_bytes_ = quirks_.streaming_min_write_bytes();
  return quirks_;
}

Result<DriveCapabilities> Drive::probe() {
  DriveCapabilities caps;
  caps.uri = describe();

  ASSIGN_OR_RETURN(InquiryData id, inquiry());
  caps.vendor = id.vendor;
  caps.product = id.product;
  caps.revision = id.revision;
  caps.peripheral_device_type = id.peripheral_device_type;
  const DriveQuirks quirks = look_up_quirks(id);
  caps.quirks = quirks.applied;

  // A unit attention after a media change or reset is reported once; the
  // second TUR tells the real state.
  Status ready = test_unit_ready();
  if (!ready.ok() && ready.error().sense() && ready.error().sense()->key == 6) ready = test_unit_ready();
  caps.ready = ready.ok();
  if (!ready.ok()) note(caps, ready.error());
  bool no_medium = !ready.ok() && ready.error().sense() && ready.error().sense()->asc == 0x3A;

  ASSIGN_OR_RETURN(Configuration config, get_configuration());
  caps.current_profile = config.current_profile;
  caps.profiles = config.profiles;
  caps.rt_streaming = config.rt_streaming;
  // What the drive announces, the quirk overrules; the note says so, so that
  // "why no streaming?" has an answer.
  if (const DriveQuirk* q = quirks.find(QuirkKind::kNoStreaming); q && caps.rt_streaming.current) {
    caps.rt_streaming.current = false;
    caps.notes.push_back("Real-Time Streaming (0x0107) is current but not used: drive quirk no-streaming (" +
                         q->reason + ")");
  }
  caps.random_writable = config.random_writable.present && config.random_writable.current;
  caps.formattable = config.formattable.present;
  caps.defect_management = config.defect_management.present && config.defect_management.current;
  if (config.random_readable.present && config.random_readable.block_size != 0)
    caps.block_size = config.random_readable.block_size;
  // tgt keeps answering GET CONFIGURATION from the old medium while offline,
  // so "no medium" from TUR wins over a stale profile.
  caps.medium_present = config.current_profile != profile::kNone && !no_medium;

  uint16_t p = caps.current_profile;
  if (profile_is_bd(p)) {
    caps.ecc_unit_blocks = 32;
    caps.one_x_bytes_per_second = 4495625;
  } else if (p >= profile::kCdRom && p <= profile::kCdRw) {
    caps.ecc_unit_blocks = 1;
    caps.one_x_bytes_per_second = 176400;
  }

  // The drive buffer exists with or without a medium.
  Result<BufferCapacity> buffer = read_buffer_capacity(false);
  if (buffer.ok()) {
    caps.buffer_size_bytes = buffer->length;
  } else {
    note(caps, buffer.error());
  }

  if (!caps.medium_present) return caps;

  // Write speeds are meaningful when WSPD says so, but ask anyway: some
  // drives answer without announcing it, and a refusal is just a note.
  Result<std::vector<WriteSpeedDescriptor>> speeds = get_write_speeds();
  if (speeds.ok()) {
    caps.write_speeds = std::move(*speeds);
  } else {
    note(caps, speeds.error());
  }
  Result<std::vector<PerformanceDescriptor>> performance = get_performance(/*write=*/true);
  if (performance.ok()) {
    caps.write_performance = std::move(*performance);
  } else {
    note(caps, performance.error());
  }

  Result<DiscInformation> disc = read_disc_information();
  if (disc.ok()) {
    caps.disc = *disc;
  } else {
    note(caps, disc.error());
  }

  // Which track writing continues in (MMC.md §8.3, LBN's choice):
  // overwritable media track 1; otherwise the last track of the last
  // session, then the invisible track 0xFF (tgt rejects 0xFF with 2/24/00,
  // real DVD+R drives accept both).
  std::vector<uint32_t> candidates;
  if (overwritable(p)) {
    candidates.push_back(1);
  } else {
    if (disc.ok() && disc->last_track_in_last_session != 0)
      candidates.push_back(disc->last_track_in_last_session);
    candidates.push_back(0xFF);
  }
  for (uint32_t track : candidates) {
    Result<TrackInformation> info = read_track_information(track);
    if (!info.ok()) {
      Error e = std::move(info).error();
      note(caps, e.with_context("track " + std::to_string(track)));
      continue;
    }
    caps.track = *info;
    break;
  }
  if (caps.track) {
    caps.free_blocks = caps.track->free_blocks;
    if (overwritable(p) || caps.random_writable) {
      caps.next_writable_address = 0;
    } else if (caps.track->nwa_valid) {
      caps.next_writable_address = caps.track->next_writable_address;
    }
  }
  // A rewritable disc that is not formatted yet (a new BD-RE) has no user
  // area, so its track reports no free blocks; what it will hold is what
  // READ FORMAT CAPACITIES offers (descriptor type 1: unformatted). The
  // recorder formats it before the first recording.
  if (caps.free_blocks == 0 && caps.formattable && overwritable(p)) {
    Result<FormatCapacities> capacities = read_format_capacities();
    if (!capacities.ok()) {
      note(caps, capacities.error());
    } else if (capacities->current_descriptor_type == 1) {
      caps.free_blocks = capacities->current_blocks;
    }
  }
  // A finalized disc has no writable address, whatever the track says.
  if (caps.disc && caps.disc->status == DiscStatus::kComplete && !overwritable(p))
    caps.next_writable_address.reset();
  return caps;
}

}  // namespace discrec::device
