#include "recorder/ingest/ffmpeg_sources.h"

#include <algorithm>

#include "recorder/ingest/ingest.h"

namespace discrec::recorder::ingest {
namespace {

class IngestSource final : public TsSource {
 public:
  IngestSource(IngestOptions options, TsSink& sink, Clock& clock, bool live)
      : ingest_(std::move(options), sink, clock), live_(live) {}

  Status run() override { return ingest_.run(); }
  void stop() override { ingest_.stop(); }
  std::optional<TimePoint> live_last_packet() const override {
    if (!live_) return std::nullopt;
    const IngestStats stats = ingest_.stats();
    if (stats.state != IngestStats::State::kRunning && stats.state != IngestStats::State::kReconnecting)
      return std::nullopt;
    return stats.last_packet;
  }

 private:
  Ingest ingest_;
  bool live_ = true;
};

}  // namespace

Status FfmpegSources::validate_network_url(std::string_view url) const { return validate_source_url(url); }

Result<std::unique_ptr<TsSource>> FfmpegSources::make(const TsSourceRequest& request, TsSink& sink,
                                                      Clock& clock) const {
  IngestOptions options;
  options.url = request.url;
  options.input_fd = request.input_fd;
  options.file_root = request.file_root;
  options.file_path = request.file_path;
  // A lost source is reopened no faster than the policy allows.
  auto& reconnect = options.reconnect;
  reconnect.initial_backoff = std::max<Nanos>(reconnect.initial_backoff, request.min_reconnect_interval);
  reconnect.max_backoff = std::max<Nanos>(reconnect.max_backoff, reconnect.initial_backoff);
  const bool live = request.input_fd < 0 && request.file_root.empty();
  return std::unique_ptr<TsSource>(std::make_unique<IngestSource>(std::move(options), sink, clock, live));
}

}  // namespace discrec::recorder::ingest
