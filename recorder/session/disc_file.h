// The UDF file a recording becomes at finalize, from the extents its
// journal (or its writer) holds.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>

#include "recorder/core/extents.h"
#include "recorder/udf/volume_builder.h"

namespace discrec::recorder {

// The recording's recorded and lost extents in file order, trimmed to the
// sectors its size needs (the padding unit's tail is not file). A recording
// a crash cut off ends at a unit boundary, mid-packet: the file ends at its
// last whole TS packet so it stays a valid stream.
udf::FileSpec disc_file_for(const RecordingExtents& extents, const std::string& name, udf::TimePoint created,
                            udf::TimePoint modified, uint32_t block_size);

}  // namespace discrec::recorder
