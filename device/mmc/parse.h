// Response parsers for the MMC/SPC commands in cdb.h. Pure functions: each
// takes the bytes the device returned (the transferred part of the buffer)
// and returns the parsed value, or kMalformedResponse when the data is too
// short, truncated, or its length fields do not add up. They never read
// outside the span.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "device/mmc/types.h"

namespace discrec::device::mmc {

// INQUIRY standard data (MMC.md §3.3); needs 36 bytes.
Result<InquiryData> parse_inquiry(std::span<const uint8_t> data);

// GET CONFIGURATION (MMC.md §4). The Data Length must fit in `data` (re-issue
// with configuration_total_length() when it does not).
Result<Configuration> parse_configuration(std::span<const uint8_t> data);
// Total bytes the drive has (Data Length + 4) from a response of >= 8 bytes.
Result<uint32_t> configuration_total_length(std::span<const uint8_t> data);

// GET PERFORMANCE type 0x03 (MMC.md §5.4) and type 0x00 nominal (§5.3).
// Descriptors the drive announced but did not send (allocation too small)
// are left out; a descriptor cut in half is an error.
Result<std::vector<WriteSpeedDescriptor>> parse_write_speed_descriptors(std::span<const uint8_t> data);
Result<std::vector<PerformanceDescriptor>> parse_performance_descriptors(std::span<const uint8_t> data);

Result<DiscInformation> parse_disc_information(std::span<const uint8_t> data);   // §8.2
Result<TrackInformation> parse_track_information(std::span<const uint8_t> data); // §8.3
// `block` as requested in the CDB (§8.7).
Result<BufferCapacity> parse_buffer_capacity(std::span<const uint8_t> data, bool block);
Result<ReadCapacity> parse_read_capacity(std::span<const uint8_t> data);
Result<FormatCapacities> parse_format_capacities(std::span<const uint8_t> data);  // §10.2
Result<EventStatus> parse_event_status(std::span<const uint8_t> data);            // §8.9

// MODE SENSE(10) data holding page 0x05 (§9.1, §9.2): header, block
// descriptors (skipped), page.
Result<ModePage05> parse_mode_page_05(std::span<const uint8_t> data);
// MODE SELECT(10) parameter list for page 0x05: 8-byte header (mode data
// length 0, no block descriptors) + the page with PS cleared. Starts from
// page.raw (so unknown fields echo back) and overlays the typed fields.
std::vector<uint8_t> mode_select_page_05(const ModePage05& page);

}  // namespace discrec::device::mmc
