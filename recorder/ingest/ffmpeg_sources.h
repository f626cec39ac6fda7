// The product's TsSourceFactory: each source is an Ingest (libavformat
// demux, codec-copy remux into MPEG-TS).
//
// Thread-safety: thread-safe (stateless).
#pragma once

#include "recorder/ts_source.h"

namespace discrec::recorder::ingest {

class FfmpegSources final : public TsSourceFactory {
 public:
  Status validate_network_url(std::string_view url) const override;
  Result<std::unique_ptr<TsSource>> make(const TsSourceRequest& request, TsSink& sink, Clock& clock) const override;
};

}  // namespace discrec::recorder::ingest
