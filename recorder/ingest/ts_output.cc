#include "recorder/ingest/ts_output.h"

#include "recorder/ingest/source.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
}

namespace discrec::recorder::ingest {

bool mpegts_carries(int codec_id) {
  switch (codec_id) {
    case AV_CODEC_ID_MPEG1VIDEO:
    case AV_CODEC_ID_MPEG2VIDEO:
    case AV_CODEC_ID_MPEG4:
    case AV_CODEC_ID_H264:
    case AV_CODEC_ID_HEVC:
    case AV_CODEC_ID_CAVS:
    case AV_CODEC_ID_DIRAC:
    case AV_CODEC_ID_VC1:
    case AV_CODEC_ID_AVS2:
    case AV_CODEC_ID_MP2:
    case AV_CODEC_ID_MP3:
    case AV_CODEC_ID_AAC:
    case AV_CODEC_ID_AAC_LATM:
    case AV_CODEC_ID_AC3:
    case AV_CODEC_ID_EAC3:
    case AV_CODEC_ID_DTS:
    case AV_CODEC_ID_TRUEHD:
    case AV_CODEC_ID_OPUS:
    case AV_CODEC_ID_S302M:
    case AV_CODEC_ID_DVB_SUBTITLE:
    case AV_CODEC_ID_DVB_TELETEXT:
    case AV_CODEC_ID_SMPTE_KLV:
    case AV_CODEC_ID_TIMED_ID3:
      return true;
    default:
      return false;
  }
}

TsOutput::~TsOutput() {
  if (ctx_) avformat_free_context(ctx_);
  if (avio_) {
    av_freep(&avio_->buffer);
    avio_context_free(&avio_);
  }
}

int TsOutput::write_cb(void* opaque, uint8_t* buf, int size) {
  auto* self = static_cast<TsOutput*>(opaque);
  if (self->sink_error_) return AVERROR_EXTERNAL;
  Status s = self->marker_->consume(buf, static_cast<size_t>(size));
  if (!s.ok()) {
    self->sink_error_ = std::move(s).error();
    return AVERROR_EXTERNAL;
  }
  return size;
}

Result<std::unique_ptr<TsOutput>> TsOutput::create(TsSink& sink,
                                                   const std::vector<const AVCodecParameters*>& streams,
                                                   int mark_index) {
  std::unique_ptr<TsOutput> out(new TsOutput());
  int ret = avformat_alloc_output_context2(&out->ctx_, nullptr, "mpegts", nullptr);
  if (ret < 0 || !out->ctx_) {
    return Error(ErrorCode::kInternal, "creating the MPEG-TS muxer: " + av_error_text(ret));
  }
  int64_t min_interval = 0;
  if (mark_index >= 0 && mark_index < static_cast<int>(streams.size()) &&
      streams[mark_index]->codec_type != AVMEDIA_TYPE_VIDEO) {
    min_interval = 90000 / 2;  // audio only: a mark every half second
  }
  out->marker_ = std::make_unique<GopMarker>(sink, pid_for(mark_index), min_interval);

  // A whole number of TS packets, so each flush hands over whole packets.
  constexpr int kBuf = static_cast<int>(kTsPacketSize) * 348;  // ~64 KiB
  auto* buf = static_cast<unsigned char*>(av_malloc(kBuf));
  out->avio_ = avio_alloc_context(buf, kBuf, 1, out.get(), nullptr, &TsOutput::write_cb, nullptr);
  if (!out->avio_) {
    av_free(buf);
    return Error(ErrorCode::kResourceExhausted, "avio_alloc_context failed");
  }
  out->ctx_->pb = out->avio_;
  out->ctx_->flags |= AVFMT_FLAG_CUSTOM_IO;
  out->ctx_->flush_packets = 0;  // flush on full buffers only; marks come from the bytes

  for (size_t i = 0; i < streams.size(); ++i) {
    AVStream* st = avformat_new_stream(out->ctx_, nullptr);
    if (!st) return Error(ErrorCode::kResourceExhausted, "avformat_new_stream failed");
    ret = avcodec_parameters_copy(st->codecpar, streams[i]);
    if (ret < 0) return Error(ErrorCode::kInternal, "copying codec parameters: " + av_error_text(ret));
    st->codecpar->codec_tag = 0;
    st->id = pid_for(static_cast<int>(i));
    st->time_base = AVRational{1, 90000};
  }
  ret = avformat_write_header(out->ctx_, nullptr);
  if (ret < 0) {
    if (out->sink_error_) return *out->sink_error_;
    return Error(ErrorCode::kUnsupported, "MPEG-TS muxer refused the streams: " + av_error_text(ret));
  }
  return out;
}

Status TsOutput::write(AVPacket* packet, bool& accepted) {
  accepted = false;
  if (sink_error_) return *sink_error_;
  int ret = av_interleaved_write_frame(ctx_, packet);
  if (sink_error_) return *sink_error_;
  if (ret >= 0) {
    accepted = true;
    return ok_status();
  }
  if (ctx_->pb && ctx_->pb->error < 0) {
    return Error(ErrorCode::kInternal, "MPEG-TS output failed: " + av_error_text(ctx_->pb->error));
  }
  return ok_status();  // the muxer rejected this packet (malformed); drop it
}

Status TsOutput::flush() {
  if (finished_) return ok_status();
  if (sink_error_) return *sink_error_;
  av_interleaved_write_frame(ctx_, nullptr);
  avio_flush(ctx_->pb);
  if (sink_error_) return *sink_error_;
  marker_->flush_sink();
  return ok_status();
}

Status TsOutput::finish() {
  if (finished_) return ok_status();
  finished_ = true;
  if (sink_error_) return *sink_error_;
  av_interleaved_write_frame(ctx_, nullptr);
  int ret = av_write_trailer(ctx_);
  avio_flush(ctx_->pb);
  if (sink_error_) return *sink_error_;
  if (ret < 0) return Error(ErrorCode::kInternal, "finishing the MPEG-TS output: " + av_error_text(ret));
  if (marker_->carried_bytes() != 0) {
    return Error(ErrorCode::kInternal, "muxer output ended inside a TS packet");
  }
  return ok_status();
}

}  // namespace discrec::recorder::ingest
