#include "tests/recorder/ingest/stream_synth.h"

#include <cmath>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}

namespace discrec::recorder::ingest::testing {
namespace {

struct Enc {
  AVCodecContext* ctx = nullptr;
  AVStream* st = nullptr;
  ~Enc() { avcodec_free_context(&ctx); }
};

std::string drain(AVFormatContext* oc, Enc& e, AVFrame* frame) {
  if (avcodec_send_frame(e.ctx, frame) < 0) return "send_frame failed";
  AVPacket* pkt = av_packet_alloc();
  while (avcodec_receive_packet(e.ctx, pkt) >= 0) {
    av_packet_rescale_ts(pkt, e.ctx->time_base, e.st->time_base);
    pkt->stream_index = e.st->index;
    if (av_interleaved_write_frame(oc, pkt) < 0) {
      av_packet_free(&pkt);
      return "write_frame failed";
    }
  }
  av_packet_free(&pkt);
  return "";
}

}  // namespace

std::string synthesize_ts(const std::string& path, const SynthSpec& spec) {
  AVFormatContext* oc = nullptr;
  if (avformat_alloc_output_context2(&oc, nullptr, "mpegts", path.c_str()) < 0) return "no mpegts muxer";
  Enc v, a;
  const AVCodec* vc = avcodec_find_encoder(AV_CODEC_ID_MPEG2VIDEO);
  v.ctx = avcodec_alloc_context3(vc);
  v.ctx->width = spec.width;
  v.ctx->height = spec.height;
  v.ctx->time_base = {1, 25};
  v.ctx->framerate = {25, 1};
  v.ctx->gop_size = spec.gop;
  v.ctx->max_b_frames = 2;
  v.ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  v.ctx->bit_rate = 400000;
  if (avcodec_open2(v.ctx, vc, nullptr) < 0) return "mpeg2video encoder";
  v.st = avformat_new_stream(oc, nullptr);
  avcodec_parameters_from_context(v.st->codecpar, v.ctx);
  v.st->time_base = v.ctx->time_base;
  if (spec.audio) {
    const AVCodec* ac = avcodec_find_encoder(AV_CODEC_ID_MP2);
    a.ctx = avcodec_alloc_context3(ac);
    a.ctx->sample_rate = 48000;
    a.ctx->sample_fmt = AV_SAMPLE_FMT_S16;
    av_channel_layout_default(&a.ctx->ch_layout, 2);
    a.ctx->bit_rate = 128000;
    a.ctx->time_base = {1, 48000};
    if (avcodec_open2(a.ctx, ac, nullptr) < 0) return "mp2 encoder";
    a.st = avformat_new_stream(oc, nullptr);
    avcodec_parameters_from_context(a.st->codecpar, a.ctx);
    a.st->time_base = a.ctx->time_base;
  }
  if (avio_open(&oc->pb, path.c_str(), AVIO_FLAG_WRITE) < 0) return "cannot write " + path;
  std::string err;
  if (avformat_write_header(oc, nullptr) < 0) err = "write_header";

  AVFrame* f = av_frame_alloc();
  AVFrame* af = av_frame_alloc();
  int64_t samples = 0;
  for (int i = 0; i < spec.frames && err.empty(); ++i) {
    f->format = v.ctx->pix_fmt;
    f->width = v.ctx->width;
    f->height = v.ctx->height;
    av_frame_get_buffer(f, 0);
    for (int y = 0; y < f->height; ++y) {
      for (int x = 0; x < f->width; ++x) f->data[0][y * f->linesize[0] + x] = static_cast<uint8_t>(x + y + 3 * i);
    }
    for (int y = 0; y < f->height / 2; ++y) {
      for (int x = 0; x < f->width / 2; ++x) {
        f->data[1][y * f->linesize[1] + x] = static_cast<uint8_t>(128 + y + i);
        f->data[2][y * f->linesize[2] + x] = static_cast<uint8_t>(64 + x + i);
      }
    }
    f->pts = i;
    err = drain(oc, v, f);
    av_frame_unref(f);
    // Audio up to the end of this video frame.
    while (a.ctx && err.empty() && samples < (i + 1) * 48000 / 25) {
      af->format = a.ctx->sample_fmt;
      af->nb_samples = a.ctx->frame_size;
      av_channel_layout_copy(&af->ch_layout, &a.ctx->ch_layout);
      af->sample_rate = 48000;
      av_frame_get_buffer(af, 0);
      auto* s = reinterpret_cast<int16_t*>(af->data[0]);
      for (int k = 0; k < af->nb_samples; ++k) {
        int16_t val = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * double(samples + k) / 48000));
        s[2 * k] = s[2 * k + 1] = val;
      }
      af->pts = samples;
      samples += af->nb_samples;
      err = drain(oc, a, af);
      av_frame_unref(af);
    }
  }
  if (err.empty()) err = drain(oc, v, nullptr);
  if (err.empty() && a.ctx) err = drain(oc, a, nullptr);
  if (err.empty() && av_write_trailer(oc) < 0) err = "write_trailer";
  av_frame_free(&f);
  av_frame_free(&af);
  avio_closep(&oc->pb);
  avformat_free_context(oc);
  return err;
}

}  // namespace discrec::recorder::ingest::testing
