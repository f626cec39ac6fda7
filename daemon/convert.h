// recorder/ value types -> discrec.v1 messages. Only the daemon sees both.
#pragma once

#include "discrec/v1/catalog.pb.h"
#include "discrec/v1/daemon.pb.h"
#include "discrec/v1/discs.pb.h"
#include "discrec/v1/drives.pb.h"
#include "discrec/v1/events.pb.h"
#include "discrec/v1/recordings.pb.h"
#include "recorder/session/catalog.h"
#include "recorder/session/event_bus.h"
#include "recorder/session/types.h"

namespace discrec::daemon {

void to_proto(const recorder::WriteModeInfo& in, v1::WriteMode* out);
void to_proto(const recorder::DriveInfo& in, v1::Drive* out);
void to_proto(const recorder::RecordingInfo& in, v1::Recording* out);
void to_proto(const recorder::Event& in, v1::Event* out);
void to_proto(const recorder::DiscOperationResult& in, v1::DiscOperationProgress* out);
void to_proto(const recorder::CatalogPart& in, v1::CatalogPart* out);

}  // namespace discrec::daemon
