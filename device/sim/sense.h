// The sense codes the emulated drive answers with (MMC.md §1.4), and
// the emulated changer's (SMC-3).
#pragma once

#include <optional>

#include "base/result.h"

namespace discrec::device::sim {

// nullopt = the operation is allowed / succeeded.
using Check = std::optional<SenseCode>;

namespace sense {
inline constexpr SenseCode kNoSense{0x0, 0x00, 0x00};
inline constexpr SenseCode kBecomingReady{0x2, 0x04, 0x01};
inline constexpr SenseCode kFormatInProgress{0x2, 0x04, 0x04};
inline constexpr SenseCode kLongWriteInProgress{0x2, 0x04, 0x08};
inline constexpr SenseCode kMediumNotPresent{0x2, 0x3A, 0x00};
inline constexpr SenseCode kMechanicalPositioningError{0x4, 0x15, 0x01};
inline constexpr SenseCode kWriteError{0x3, 0x0C, 0x00};
inline constexpr SenseCode kUnrecoveredReadError{0x3, 0x11, 0x00};
inline constexpr SenseCode kPowerCalibrationError{0x3, 0x73, 0x03};
inline constexpr SenseCode kParameterListLength{0x5, 0x1A, 0x00};
inline constexpr SenseCode kInvalidOpcode{0x5, 0x20, 0x00};
inline constexpr SenseCode kLbaOutOfRange{0x5, 0x21, 0x00};
inline constexpr SenseCode kInvalidElementAddress{0x5, 0x21, 0x01};
inline constexpr SenseCode kInvalidWriteAddress{0x5, 0x21, 0x02};
inline constexpr SenseCode kInvalidFieldInCdb{0x5, 0x24, 0x00};
inline constexpr SenseCode kInvalidFieldInParameters{0x5, 0x26, 0x00};
inline constexpr SenseCode kSequenceError{0x5, 0x2C, 0x00};
inline constexpr SenseCode kCannotWriteMedium{0x5, 0x30, 0x05};
inline constexpr SenseCode kCannotFormatMedium{0x5, 0x30, 0x06};
inline constexpr SenseCode kMediumNotFormatted{0x5, 0x30, 0x10};
inline constexpr SenseCode kSavingNotSupported{0x5, 0x39, 0x00};
inline constexpr SenseCode kMediumDestinationFull{0x5, 0x3B, 0x0D};
inline constexpr SenseCode kMediumSourceEmpty{0x5, 0x3B, 0x0E};
inline constexpr SenseCode kRemovalPrevented{0x5, 0x53, 0x02};
inline constexpr SenseCode kEndOfUserArea{0x5, 0x63, 0x00};
inline constexpr SenseCode kEmptyReservedTrack{0x5, 0x72, 0x04};
inline constexpr SenseCode kNoMoreReservations{0x5, 0x72, 0x05};
inline constexpr SenseCode kMediumMayHaveChanged{0x6, 0x28, 0x00};
inline constexpr SenseCode kImportExportAccessed{0x6, 0x28, 0x01};
}  // namespace sense

}  // namespace discrec::device::sim
