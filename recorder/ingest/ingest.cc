#include "recorder/ingest/ingest.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "recorder/ingest/source.h"
#include "recorder/ingest/timeline.h"
#include "recorder/ingest/ts_output.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/mathematics.h>
}

namespace discrec::recorder::ingest {
namespace {

constexpr AVRational k90k{1, 90000};
constexpr Nanos kSleepSlice = std::chrono::milliseconds(50);

const char* media_type_name(AVMediaType t) {
  const char* n = av_get_media_type_string(t);
  return n ? n : "unknown";
}

std::string describe(int index, const AVCodecParameters* par) {
  return "stream #" + std::to_string(index) + " (" + media_type_name(par->codec_type) + ", " +
         avcodec_get_name(par->codec_id) + ")";
}

struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};

}  // namespace

// The state of one run(): the output (created once, at the first successful
// open) and, per connection, the input and its stream mapping.
class Ingest::Session {
 public:
  explicit Session(Ingest& ingest) : in_(ingest), gate_(ingest.clock_, ingest.stop_requested_) {}
  ~Session() { close_input(); }
  Status run();

 private:
  enum class ReadEnd { kEndOfStream, kLost, kStopped };

  Status open_input(Nanos timeout);
  Status open_first();
  void close_input();
  Status create_output();
  Status map_streams();
  Result<ReadEnd> pump();
  Status handle(AVPacket* pkt);
  Status finish_output();
  void pace(int64_t dts_90k);
  bool sleep_until(TimePoint t);  // false if stopped
  Status drain_demuxer(AVPacket* pkt, bool holds_packet);
  void set_state(IngestStats::State s, const std::string& error = {});
  template <typename F>
  void update(F&& f) {
    std::lock_guard lock(in_.stats_mu_);
    f(in_.stats_);
  }

  Ingest& in_;
  InterruptGate gate_;
  SourceKind kind_ = SourceKind::kFile;
  bool reconnect_ = false;
  std::unique_ptr<InputSource> input_;
  std::unique_ptr<TsOutput> output_;
  std::unique_ptr<Timeline> timeline_;
  // Per output stream.
  std::vector<AVMediaType> out_type_;
  std::vector<AVCodecID> out_codec_;
  std::vector<bool> awaiting_key_;
  std::vector<int64_t> wait_start_dts_;
  int primary_ = -1;  // output stream whose key frames mark GOPs
  // Per input stream of the current connection: output index or -1.
  std::vector<int> in_to_out_;
  // Reconnect bookkeeping.
  Nanos backoff_{0};          // the wait before the next reopen
  TimePoint connected_at_{};  // when the current connection opened
  TimePoint last_packet_time_{};
  TimePoint gap_start_{};
  bool video_delivered_ = false;
  bool gap_pending_ = false;
  bool input_timed_out_ = false;  // the read timeout fired on this input
  bool delivered_any_ = false;
  bool draining_ = false;  // stopped: taking what the demuxer still holds
  // Realtime pacing.
  bool pace_started_ = false;
  TimePoint pace_wall0_{};
  int64_t pace_dts0_ = 0;
};

const char* ingest_state_name(IngestStats::State state) {
  switch (state) {
    case IngestStats::State::kIdle: return "idle";
    case IngestStats::State::kOpening: return "opening";
    case IngestStats::State::kRunning: return "running";
    case IngestStats::State::kReconnecting: return "reconnecting";
    case IngestStats::State::kFinished: return "finished";
    case IngestStats::State::kFailed: return "failed";
  }
  return "unknown";
}

Ingest::Ingest(IngestOptions options, TsSink& sink, Clock& clock)
    : options_(std::move(options)), display_url_(redact_source_url(options_.url)), sink_(sink), clock_(clock) {
  // Lower layers report through Status, never a log: FFmpeg's own stderr
  // chatter (process-wide) is turned off once. Set DISCREC_FFMPEG_LOG=1 to
  // keep it when debugging a source.
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    const char* keep = std::getenv("DISCREC_FFMPEG_LOG");
    if (!keep || !*keep || *keep == '0') av_log_set_level(AV_LOG_QUIET);
  });
}

Ingest::~Ingest() {
  if (options_.input_fd >= 0) ::close(options_.input_fd);
}

void Ingest::stop() { stop_requested_.store(true, std::memory_order_release); }

IngestStats Ingest::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

Status Ingest::run() {
  Session session(*this);
  Status s = session.run();
  std::lock_guard lock(stats_mu_);
  if (s.ok() || s.error().code() == ErrorCode::kAborted) {
    stats_.state = IngestStats::State::kFinished;
  } else {
    stats_.state = IngestStats::State::kFailed;
    stats_.last_error = s.error().to_string();
  }
  return s;
}

void Ingest::Session::set_state(IngestStats::State s, const std::string& error) {
  update([&](IngestStats& st) {
    st.state = s;
    if (!error.empty()) st.last_error = error;
  });
}

bool Ingest::Session::sleep_until(TimePoint t) {
  while (!gate_.stopped()) {
    TimePoint now = in_.clock_.now();
    if (now >= t) return true;
    in_.clock_.sleep_until(std::min(t, now + kSleepSlice));
  }
  return false;
}

Status Ingest::Session::run() {
  const IngestOptions& o = in_.options_;
  if (o.input_fd >= 0) {
    kind_ = SourceKind::kPipe;
  } else if (!o.file_root.empty()) {
    kind_ = SourceKind::kFile;
  } else {
    ASSIGN_OR_RETURN(kind_, classify_source_url(o.url));
  }
  const ReconnectPolicy& policy = in_.options_.reconnect;
  reconnect_ = policy.mode == ReconnectPolicy::Mode::kAlways ||
               (policy.mode == ReconnectPolicy::Mode::kAuto && kind_ == SourceKind::kNetwork);

  set_state(IngestStats::State::kOpening);
  backoff_ = policy.initial_backoff;
  RETURN_IF_ERROR(open_first());
  RETURN_IF_ERROR(create_output());
  for (;;) {
    auto end = pump();
    if (!end.ok()) {
      (void)finish_output();  // keep what was muxed; the first error wins
      return std::move(end).error();
    }
    if (*end == ReadEnd::kStopped) {
      RETURN_IF_ERROR(finish_output());
      return Error(ErrorCode::kAborted, "ingest of " + in_.display_url_ + " stopped");
    }
    if (*end == ReadEnd::kEndOfStream || !reconnect_) {
      return finish_output();
    }
    // Lost: reconnect with backoff until back, stopped, or out of attempts.
    // What was received before the loss goes to the sink now, not after it.
    gap_start_ = last_packet_time_;
    close_input();
    if (Status f = output_->flush(); !f.ok()) return f;
    set_state(IngestStats::State::kReconnecting);
    // Only a connection that held for a while starts the backoff over: a
    // source that accepts and ends at once (an HTTP server with a tiny body)
    // must not be reopened at the initial rate forever.
    if (in_.clock_.now() - connected_at_ >= policy.max_backoff) backoff_ = policy.initial_backoff;
    Nanos& backoff = backoff_;
    for (int attempt = 1;; ++attempt) {
      if (!sleep_until(in_.clock_.now() + backoff)) {
        RETURN_IF_ERROR(finish_output());
        return Error(ErrorCode::kAborted, "ingest of " + in_.display_url_ + " stopped while reconnecting");
      }
      backoff = std::min<Nanos>(backoff * 2, policy.max_backoff);
      Status s = open_input(in_.options_.open_timeout);
      if (s.ok()) {
        Status m = map_streams();
        if (!m.ok()) {
          (void)finish_output();
          return m;
        }
        break;
      }
      if (s.error().code() == ErrorCode::kAborted) {
        RETURN_IF_ERROR(finish_output());
        return s;
      }
      update([&](IngestStats& st) { st.last_error = s.error().to_string(); });
      if (policy.max_attempts > 0 && attempt >= policy.max_attempts) {
        (void)finish_output();
        return Error(s.error().code(), "source lost and not back after " + std::to_string(attempt) +
                                           " attempts: " + s.error().message());
      }
    }
    update([&](IngestStats& st) { ++st.reconnects; });
    timeline_->start_segment();
    std::fill(awaiting_key_.begin(), awaiting_key_.end(), true);
    std::fill(wait_start_dts_.begin(), wait_start_dts_.end(), Timeline::kNoTs);
    pace_started_ = false;
    gap_pending_ = true;
    set_state(IngestStats::State::kRunning);
  }
}

Status Ingest::Session::open_input(Nanos timeout) {
  update([](IngestStats& st) { ++st.open_attempts; });
  ASSIGN_OR_RETURN(input_, InputSource::open(in_.options_, kind_, gate_, timeout));
  connected_at_ = in_.clock_.now();
  input_timed_out_ = false;
  return ok_status();
}

// A network source that does not answer yet (connection refused, nothing
// received) when the recording starts is tried again, with the reconnect
// backoff, until open_timeout has passed since the start: a camera or
// encoder started together with the recording, or a daemon slowed by a
// start storm, must not fail the recording on its first try. Errors that a
// retry cannot cure (a bad URL, not a stream, a codec MPEG-TS cannot carry)
// and sources that are not reconnected (files, pipes, listen mode, which
// waits anyway) still fail at once, with the cause.
Status Ingest::Session::open_first() {
  const IngestOptions& o = in_.options_;
  const TimePoint give_up = in_.clock_.now() + o.open_timeout;
  const bool retry = reconnect_ && !o.listen;
  for (int attempt = 1;; ++attempt) {
    const Nanos left = give_up - in_.clock_.now();
    Status s = open_input(retry ? std::max<Nanos>(left, Nanos(1)) : o.open_timeout);
    if (s.ok()) return s;
    const ErrorCode code = s.error().code();
    if (!retry || (code != ErrorCode::kTimeout && code != ErrorCode::kUnavailable)) return s;
    update([&](IngestStats& st) { st.last_error = s.error().to_string(); });
    const TimePoint next = in_.clock_.now() + backoff_;
    if (next >= give_up) {
      if (attempt == 1) return s;
      return Error(code, s.error().message() + " (" + std::to_string(attempt) + " attempts within " +
                             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(o.open_timeout).count()) +
                             " ms)");
    }
    if (!sleep_until(next)) return Error(ErrorCode::kAborted, "ingest of " + in_.display_url_ + " stopped while opening");
    backoff_ = std::min<Nanos>(backoff_ * 2, o.reconnect.max_backoff);
  }
}

// Closing may talk to the peer (RTSP TEARDOWN over a dead TCP connection):
// bounded like any other blocking call.
void Ingest::Session::close_input() {
  if (!input_) return;
  gate_.arm(std::chrono::seconds(1));
  input_.reset();
  gate_.disarm();
}

Status Ingest::Session::create_output() {
  AVFormatContext* ic = input_->context();
  std::vector<const AVCodecParameters*> pars;
  std::vector<std::string> skipped;
  in_to_out_.assign(ic->nb_streams, -1);
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    const AVStream* st = ic->streams[i];
    const AVCodecParameters* par = st->codecpar;
    bool av = par->codec_type == AVMEDIA_TYPE_VIDEO || par->codec_type == AVMEDIA_TYPE_AUDIO;
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) {
      skipped.push_back(describe(static_cast<int>(i), par) + ": attached picture");
      continue;
    }
    if (!mpegts_carries(par->codec_id)) {
      if (av && par->codec_id != AV_CODEC_ID_NONE) {
        return Error(ErrorCode::kUnsupported,
                     in_.display_url_ + ": " + describe(static_cast<int>(i), par) +
                         " cannot be carried in MPEG-TS (ingest copies codecs, it never re-encodes)");
      }
      skipped.push_back(describe(static_cast<int>(i), par) + ": not carried in MPEG-TS");
      continue;
    }
    if (par->codec_type == AVMEDIA_TYPE_AUDIO && (par->sample_rate <= 0 || par->ch_layout.nb_channels <= 0)) {
      // The muxer cannot describe it; the probe saw no packet of it.
      skipped.push_back(describe(static_cast<int>(i), par) + ": parameters unknown after probing (no packet seen)");
      continue;
    }
    in_to_out_[i] = static_cast<int>(pars.size());
    pars.push_back(par);
    out_type_.push_back(par->codec_type);
    out_codec_.push_back(par->codec_id);
  }
  if (pars.empty()) {
    return Error(ErrorCode::kUnsupported, in_.display_url_ + ": no stream that MPEG-TS can carry");
  }
  for (size_t i = 0; i < pars.size() && primary_ < 0; ++i) {
    if (out_type_[i] == AVMEDIA_TYPE_VIDEO) primary_ = static_cast<int>(i);
  }
  for (size_t i = 0; i < pars.size() && primary_ < 0; ++i) {
    if (out_type_[i] == AVMEDIA_TYPE_AUDIO) primary_ = static_cast<int>(i);
  }
  if (primary_ < 0) primary_ = 0;
  ASSIGN_OR_RETURN(output_, TsOutput::create(in_.sink_, pars, primary_));
  timeline_ = std::make_unique<Timeline>(pars.size());
  awaiting_key_.assign(pars.size(), true);
  wait_start_dts_.assign(pars.size(), Timeline::kNoTs);

  std::vector<IngestStreamInfo> infos;
  for (size_t i = 0; i < pars.size(); ++i) {
    IngestStreamInfo info;
    info.output_index = static_cast<int>(i);
    info.pid = TsOutput::pid_for(static_cast<int>(i));
    info.type = media_type_name(pars[i]->codec_type);
    info.codec = avcodec_get_name(pars[i]->codec_id);
    info.width = pars[i]->width;
    info.height = pars[i]->height;
    infos.push_back(std::move(info));
  }
  update([&](IngestStats& st) {
    st.streams = std::move(infos);
    st.skipped_streams = std::move(skipped);
    st.state = IngestStats::State::kRunning;
  });
  return ok_status();
}

Status Ingest::Session::map_streams() {
  AVFormatContext* ic = input_->context();
  in_to_out_.assign(ic->nb_streams, -1);
  std::vector<bool> used(ic->nb_streams, false);
  for (size_t o = 0; o < out_codec_.size(); ++o) {
    for (unsigned i = 0; i < ic->nb_streams; ++i) {
      const AVCodecParameters* par = ic->streams[i]->codecpar;
      if (!used[i] && par->codec_type == out_type_[o] && par->codec_id == out_codec_[o]) {
        used[i] = true;
        in_to_out_[i] = static_cast<int>(o);
        break;
      }
    }
  }
  bool primary_found = std::find(in_to_out_.begin(), in_to_out_.end(), primary_) != in_to_out_.end();
  if (!primary_found) {
    return Error(ErrorCode::kFailedPrecondition,
                 in_.display_url_ + ": after reconnecting, the source has no " +
                     media_type_name(out_type_[primary_]) + " stream in " + avcodec_get_name(out_codec_[primary_]) +
                     " any more; the recording cannot continue in the same MPEG-TS");
  }
  return ok_status();
}

// A live source stopped mid-stream leaves its last frames inside the
// demuxer: MPEG-TS holds a PES until the next one starts, a parser holds a
// frame more, and over the network no end of stream ever comes to flush
// them. With the gate stopped every read fails at once, and a failed read
// hands out what is held, one packet a call, so a few reads take it all.
// `pkt` may already hold a packet read whole before the stop: it goes first.
Status Ingest::Session::drain_demuxer(AVPacket* pkt, bool holds_packet) {
  draining_ = true;
  Status s = ok_status();
  for (int i = 0; i < 256 && s.ok(); ++i) {  // bounded: a demuxer that keeps answering is not draining
    if (!holds_packet && input_->read(pkt) < 0) break;
    holds_packet = false;
    s = handle(pkt);
    av_packet_unref(pkt);
  }
  draining_ = false;
  return s;
}

Result<Ingest::Session::ReadEnd> Ingest::Session::pump() {
  std::unique_ptr<AVPacket, PacketDeleter> pkt(av_packet_alloc());
  if (!pkt) return Error(ErrorCode::kResourceExhausted, "av_packet_alloc failed");
  // The deadline runs from the last packet, so EAGAIN loops cannot extend it.
  gate_.arm(in_.options_.read_timeout);
  for (;;) {
    const int ret = gate_.stopped() ? AVERROR_EXIT : input_->read(pkt.get());
    if (gate_.stopped()) {
      if (kind_ == SourceKind::kNetwork) RETURN_IF_ERROR(drain_demuxer(pkt.get(), ret >= 0));
      return ReadEnd::kStopped;
    }
    if (ret == AVERROR(EAGAIN) && !gate_.should_interrupt()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (ret < 0) {
      bool timeout = gate_.timed_out() || ret == AVERROR(ETIMEDOUT);
      std::string why = timeout ? "no data for " + std::to_string(in_.options_.read_timeout.count() / 1000000) + " ms"
                                : ret == AVERROR_EOF ? std::string("end of stream") : av_error_text(ret);
      if (ret == AVERROR_EOF && !reconnect_) return ReadEnd::kEndOfStream;
      if (reconnect_) {
        update([&](IngestStats& st) { st.last_error = "source " + in_.display_url_ + " lost: " + why; });
        return ReadEnd::kLost;
      }
      if (timeout) {
        return Error(ErrorCode::kTimeout, "reading " + in_.display_url_ + ": " + why);
      }
      return Error(ErrorCode::kIo, "reading " + in_.display_url_ + ": " + why);
    }
    Status s = handle(pkt.get());
    av_packet_unref(pkt.get());
    RETURN_IF_ERROR(s);
    gate_.arm(in_.options_.read_timeout);
  }
}

Status Ingest::Session::handle(AVPacket* pkt) {
  if (pkt->stream_index < 0 || static_cast<size_t>(pkt->stream_index) >= in_to_out_.size()) {
    return ok_status();  // a stream that appeared after probing: not mapped
  }
  int o = in_to_out_[pkt->stream_index];
  if (o < 0) return ok_status();
  // When data last arrived. A packet handed out after the read timeout fired
  // is one the demuxer held (MPEG-TS flushes its last PES when the input
  // fails): it arrived before the silence, so it must not move the start of
  // the gap to the moment the loss was noticed.
  // Once the timeout has fired the input is done for (FFmpeg's AVIO keeps
  // the error): what still comes out until the read fails was held before.
  if (gate_.timed_out()) input_timed_out_ = true;
  if (!input_timed_out_) last_packet_time_ = in_.clock_.now();
  const AVStream* ist = input_->context()->streams[pkt->stream_index];
  bool is_video = out_type_[o] == AVMEDIA_TYPE_VIDEO;
  bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
  const TimePoint arrived = last_packet_time_;
  update([arrived](IngestStats& st) {
    ++st.packets_in;
    st.last_packet = arrived;
  });

  int64_t dts = pkt->dts == AV_NOPTS_VALUE ? Timeline::kNoTs : av_rescale_q(pkt->dts, ist->time_base, k90k);
  int64_t pts = pkt->pts == AV_NOPTS_VALUE ? Timeline::kNoTs : av_rescale_q(pkt->pts, ist->time_base, k90k);
  int64_t dur = pkt->duration > 0 ? av_rescale_q(pkt->duration, ist->time_base, k90k) : 0;

  if (is_video && awaiting_key_[o]) {
    if (!key) {
      int64_t t = dts != Timeline::kNoTs ? dts : pts;
      if (t != Timeline::kNoTs) {
        if (wait_start_dts_[o] == Timeline::kNoTs) wait_start_dts_[o] = t;
        int64_t waited = av_rescale_q(t - wait_start_dts_[o], k90k, AVRational{1, 1000000000});
        if (waited > in_.options_.max_wait_for_key_frame.count()) {
          return Error(ErrorCode::kDataLoss,
                       in_.display_url_ + ": no key frame in " + describe(o, ist->codecpar) + " within " +
                           std::to_string(in_.options_.max_wait_for_key_frame.count() / 1000000) +
                           " ms of stream time; a recording must start at a key frame");
        }
      }
      update([](IngestStats& st) { ++st.packets_dropped; });
      return ok_status();
    }
  }

  bool continuous = is_video || out_type_[o] == AVMEDIA_TYPE_AUDIO;
  if (!timeline_->map(static_cast<size_t>(o), continuous, dts, pts, dur)) {
    // Still awaiting a key frame if this one cannot be placed (RTSP's first
    // packets come without timestamps).
    update([](IngestStats& st) { ++st.packets_dropped; });
    return ok_status();
  }
  if (is_video) awaiting_key_[o] = false;
  if (in_.options_.realtime && !draining_) pace(dts);
  if (gate_.stopped() && !draining_) return ok_status();

  pkt->stream_index = o;
  pkt->dts = dts;
  pkt->pts = pts == Timeline::kNoTs ? dts : pts;
  pkt->duration = dur;
  pkt->pos = -1;
  bool accepted = false;
  RETURN_IF_ERROR(output_->write(pkt, accepted));
  if (gap_pending_) {
    gap_pending_ = false;
    TimePoint now = in_.clock_.now();
    SourceGapRecord gap{gap_start_, now - gap_start_};
    in_.sink_.source_gap(gap.start, gap.duration);
    update([&](IngestStats& st) {
      if (st.gaps.size() >= IngestStats::kMaxGapRecords) st.gaps.erase(st.gaps.begin());
      st.gaps.push_back(gap);
      st.total_gap += gap.duration;
    });
  }
  uint64_t ts_packets = output_->marker().ts_packets();
  uint64_t gops = output_->marker().gop_starts();
  uint64_t disc = timeline_->discontinuities();
  update([&](IngestStats& st) {
    if (accepted) {
      ++st.packets_out;
      if (o == primary_ && is_video) {
        ++st.video_frames;
        if (key) ++st.key_frames;
      }
    } else {
      ++st.packets_dropped;
    }
    st.ts_packets = ts_packets;
    st.gop_starts = gops;
    st.discontinuities = disc;
  });
  delivered_any_ = true;
  if (is_video && o == primary_ && accepted) video_delivered_ = true;
  return ok_status();
}

void Ingest::Session::pace(int64_t dts_90k) {
  TimePoint now = in_.clock_.now();
  if (!pace_started_) {
    pace_started_ = true;
    pace_wall0_ = now;
    pace_dts0_ = dts_90k;
    return;
  }
  Nanos ahead{av_rescale(dts_90k - pace_dts0_, 1000000000, 90000)};
  if (ahead > std::chrono::seconds(0)) sleep_until(pace_wall0_ + ahead);
}

Status Ingest::Session::finish_output() {
  if (!output_) return ok_status();
  Status s = output_->finish();
  update([&](IngestStats& st) {
    st.ts_packets = output_->marker().ts_packets();
    st.gop_starts = output_->marker().gop_starts();
  });
  if (!s.ok()) return s;
  for (size_t o = 0; o < awaiting_key_.size(); ++o) {
    if (static_cast<int>(o) == primary_ && out_type_[o] == AVMEDIA_TYPE_VIDEO && !video_delivered_) {
      return Error(ErrorCode::kDataLoss, in_.display_url_ + ": no key frame in the video stream; " +
                                             (delivered_any_ ? "only the other streams were recorded" : "nothing recorded"));
    }
  }
  return ok_status();
}

}  // namespace discrec::recorder::ingest
