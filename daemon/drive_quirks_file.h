// The drive quirks table the daemon gives every Drive it opens
// (device/drive_quirks.h): the one shipped with discrecd, or the file the
// config names instead ([daemon] drive_quirks).
//
// Thread-safety: functions over values; the table is immutable once loaded.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "device/drive_quirks.h"

namespace discrec::daemon {

// Where the shipped table is, first found of: <program dir>/../share/
// discrecd/drive-quirks.txt (an installed or unpacked package, or the build
// tree, which mirrors that layout), the install prefix's share/discrecd/, and
// the source tree's daemon/drive-quirks.txt. The install prefix's path when
// none exists, so that a message names where it belongs.
std::string shipped_drive_quirks_path();

struct LoadedQuirks {
  std::shared_ptr<const device::QuirkTable> table;  // never null; empty without a file
  std::string path;                                 // what was read ("" if nothing)
  std::string warning;                              // the shipped table is missing
};

// Reads `configured` (the config key's value) if it is set: a file that
// cannot be read or does not parse is an error naming it (and the line).
// Otherwise the shipped table: missing, it is a warning and no quirks (a
// damaged install should not keep the drives from recording); present but
// bad, an error as above.
Result<LoadedQuirks> load_drive_quirks(const std::string& configured);

}  // namespace discrec::daemon
