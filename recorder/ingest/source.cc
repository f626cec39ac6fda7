#include "recorder/ingest/source.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <string_view>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

#include "base/file_io.h"

namespace discrec::recorder::ingest {
namespace {

std::string_view scheme_of(std::string_view url) {
  auto pos = url.find("://");
  if (pos == std::string_view::npos) return {};
  return url.substr(0, pos);
}

bool is_pipe_url(std::string_view url) {
  return url == "-" || url.rfind("pipe:", 0) == 0 || url.rfind("fd:", 0) == 0;
}

bool protocol_available(const char* name) {
  void* opaque = nullptr;
  while (const char* p = avio_enum_protocols(&opaque, 0)) {
    if (std::string_view(p) == name) return true;
  }
  return false;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Error invalid(std::string_view url, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "source URL '" + redact_source_url(url) + "': " + why);
}

// The protocols an open of `scheme` may use, nested opens included, so a
// demuxer cannot chain from a camera's stream into file:, http: or tcp:.
const char* protocols_for(std::string_view scheme) {
  if (scheme == "udp") return "udp";
  if (scheme == "rtp") return "rtp,udp";
  if (scheme == "rtsp") return "rtsp,rtp,udp,tcp";
  if (scheme == "rtsps") return "rtsps,rtsp,rtp,udp,tcp,tls";
  if (scheme == "srt") return "srt";
  if (scheme == "tcp") return "tcp";
  if (scheme == "http") return "http,tcp";
  if (scheme == "https") return "https,tls,tcp";
  return nullptr;
}

// io_open for sources read through our own AVIO (files, fds): the demuxer
// may open nothing else (HLS segments, mov references, image2 patterns,
// concat lists, SDP's RTP addresses).
int refuse_nested_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) {
  return AVERROR(EPERM);
}

}  // namespace

std::string av_error_text(int averror) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(averror, buf, sizeof buf);
  return std::string(buf) + " (error " + std::to_string(averror) + ")";
}

Result<SourceKind> classify_source_url(std::string_view url) {
  if (url.empty()) return invalid(url, "empty");
  if (url.size() > 4096) return invalid(url, "longer than 4096 characters");
  for (unsigned char c : url) {
    if (c < 0x20 || c == 0x7f) return invalid(url, "contains a control character");
  }
  if (is_pipe_url(url)) {
    // FFmpeg would read the daemon's own descriptors (pipe:9 is a gRPC
    // connection); trusted code passes an fd through IngestOptions::input_fd.
    return invalid(url, "pipes and file descriptors cannot be named in a URL");
  }
  std::string_view scheme = scheme_of(url);
  if (scheme.empty()) {
    if (url.rfind("file:", 0) == 0) {
      if (url.size() == 5) return invalid(url, "file: needs a path");
      return SourceKind::kFile;
    }
    if (ends_with(url, ".sdp")) return SourceKind::kNetwork;  // RTP session description
    return SourceKind::kFile;
  }
  struct Scheme {
    std::string_view name;
    const char* ffmpeg;  // protocol name, or nullptr for the rtsp demuxer
    bool needs_port;
  };
  static constexpr Scheme kSchemes[] = {
      {"file", "file", false}, {"udp", "udp", true},   {"rtp", "rtp", true},
      {"rtsp", nullptr, false}, {"rtsps", nullptr, false}, {"http", "http", false},
      {"https", "https", false}, {"srt", "srt", true},   {"tcp", "tcp", true},
  };
  const Scheme* found = nullptr;
  for (const auto& s : kSchemes) {
    if (s.name == scheme) found = &s;
  }
  if (!found) {
    return invalid(url, "unsupported scheme '" + std::string(scheme) +
                            "' (use a file path, pipe:, udp, rtp, rtsp, http(s), srt or tcp)");
  }
  if (found->name == "file") return url.size() > 7 ? Result<SourceKind>(SourceKind::kFile) : invalid(url, "no path");

  char proto[32], auth[256], host[256], path[2048];
  int port = -1;
  std::string u(url);
  av_url_split(proto, sizeof proto, auth, sizeof auth, host, sizeof host, &port, path, sizeof path,
               u.c_str());
  if (found->needs_port && port < 0) return invalid(url, "no port");
  if (port == 0 || port > 65535) return invalid(url, "port out of range");
  bool listen_ok = found->name == "udp" || found->name == "rtp" || found->name == "srt" ||
                   found->name == "tcp" || found->name == "rtsp";
  if (host[0] == '\0' && !listen_ok) return invalid(url, "no host");
  for (const char* h = host; *h; ++h) {
    unsigned char c = static_cast<unsigned char>(*h);
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']' || c == '%')) {
      return invalid(url, "invalid character in host name");
    }
  }
  if (found->ffmpeg ? !protocol_available(found->ffmpeg) : !av_find_input_format("rtsp")) {
    return Error(ErrorCode::kUnsupported,
                 "source URL '" + redact_source_url(url) + "': this FFmpeg build has no " +
                     std::string(found->name) + " support");
  }
  return SourceKind::kNetwork;
}

Status validate_source_url(std::string_view url) {
  auto kind = classify_source_url(url);
  if (!kind.ok()) return std::move(kind).error();
  return ok_status();
}

void InterruptGate::arm(Nanos timeout) {
  deadline_ns_.store((clock_.now() + timeout).time_since_epoch().count(), std::memory_order_release);
  timed_out_.store(false, std::memory_order_release);
}

void InterruptGate::disarm() {
  deadline_ns_.store(kNoDeadline, std::memory_order_release);
  timed_out_.store(false, std::memory_order_release);
}

bool InterruptGate::should_interrupt() {
  if (stop_.load(std::memory_order_acquire)) return true;
  int64_t deadline = deadline_ns_.load(std::memory_order_acquire);
  if (deadline != kNoDeadline && clock_.now().time_since_epoch().count() >= deadline) {
    timed_out_.store(true, std::memory_order_release);
    return true;
  }
  return false;
}

int InterruptGate::callback(void* gate) { return static_cast<InterruptGate*>(gate)->should_interrupt() ? 1 : 0; }

// Reads an fd the daemon opened (a regular file beneath an allowed
// directory) or was handed (a pipe), never a path FFmpeg would open. A pipe
// is waited on (file_io::wait_readable) so stop and the read timeout
// interrupt a read that would otherwise block in read(2); a regular file
// also seeks.
struct InputSource::FdReader {
  int fd = -1;
  bool owned = false;  // close on destruction (files the source opened)
  bool regular = false;
  InterruptGate* gate = nullptr;
  AVIOContext* avio = nullptr;

  ~FdReader() {
    if (owned && fd >= 0) ::close(fd);
  }

  static int read(void* opaque, uint8_t* buf, int size) {
    auto* self = static_cast<FdReader*>(opaque);
    for (;;) {
      if (self->gate->should_interrupt()) return AVERROR_EXIT;
      if (!self->regular) {
        const int r = file_io::wait_readable(self->fd, 50);
        if (r < 0) {
          if (errno == EINTR) continue;
          return AVERROR(errno);
        }
        if (r == 0) continue;
      }
      const auto n = ::read(self->fd, buf, static_cast<unsigned>(size));
      if (n > 0) return static_cast<int>(n);
      if (n == 0) return AVERROR_EOF;
      if (errno == EINTR || errno == EAGAIN) continue;
      return AVERROR(errno);
    }
  }

  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* self = static_cast<FdReader*>(opaque);
    if (whence & AVSEEK_SIZE) {
      const int64_t size = file_io::regular_file_size(self->fd);
      return size >= 0 ? size : AVERROR(errno);
    }
    const int64_t r = file_io::seek(self->fd, offset, whence & ~AVSEEK_FORCE);
    return r < 0 ? AVERROR(errno) : r;
  }
};

InputSource::~InputSource() {
  avformat_close_input(&ctx_);
  if (fd_reader_ && fd_reader_->avio) {
    av_freep(&fd_reader_->avio->buffer);
    avio_context_free(&fd_reader_->avio);
  }
}

int InputSource::read(AVPacket* packet) { return av_read_frame(ctx_, packet); }

Result<std::unique_ptr<InputSource>> InputSource::open(const IngestOptions& options, SourceKind kind,
                                                       InterruptGate& gate, Nanos timeout) {
  std::unique_ptr<InputSource> src(new InputSource());
  AVFormatContext* ctx = avformat_alloc_context();
  if (!ctx) return Error(ErrorCode::kResourceExhausted, "avformat_alloc_context failed");
  ctx->interrupt_callback.callback = &InterruptGate::callback;
  ctx->interrupt_callback.opaque = &gate;

  const std::string url = redact_source_url(options.url);  // for messages
  std::string open_url = options.url;
  std::string_view scheme = scheme_of(options.url);
  AVDictionary* opts = nullptr;
  if (kind == SourceKind::kPipe || kind == SourceKind::kFile) {
    auto reader = std::make_unique<FdReader>();
    if (kind == SourceKind::kPipe) {
      reader->fd = options.input_fd;  // the Ingest owns it
    } else {
      auto fd = options.file_root.empty() ? open_regular_file(options.url)
                                          : open_file_beneath(options.file_root, options.file_path);
      if (!fd.ok()) {
        avformat_free_context(ctx);
        return Error(fd.error().code(), "opening " + url + ": " + fd.error().message());
      }
      reader->fd = *fd;
      reader->owned = true;
      reader->regular = true;
    }
    reader->gate = &gate;
    constexpr int kBuf = 64 * 1024;
    auto* buf = static_cast<unsigned char*>(av_malloc(kBuf));
    reader->avio = buf ? avio_alloc_context(buf, kBuf, 0, reader.get(), &FdReader::read, nullptr,
                                            reader->regular ? &FdReader::seek : nullptr)
                       : nullptr;
    if (!reader->avio) {
      av_free(buf);
      avformat_free_context(ctx);
      return Error(ErrorCode::kResourceExhausted, "avio_alloc_context failed");
    }
    src->fd_reader_ = std::move(reader);
    ctx->pb = src->fd_reader_->avio;
    ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
    ctx->io_open = &refuse_nested_open;
    av_dict_set(&opts, "protocol_whitelist", "none", 0);
    open_url = "";
  } else if (const char* protocols = protocols_for(scheme)) {
    av_dict_set(&opts, "protocol_whitelist", protocols, 0);
  }
  if (scheme == "udp" || scheme == "rtp") {
    av_dict_set(&opts, "overrun_nonfatal", "1", 0);
    av_dict_set(&opts, "buffer_size", "4194304", 0);
  }
  if (scheme == "rtsp" || scheme == "rtsps") {
    if (options.listen) av_dict_set(&opts, "rtsp_flags", "listen", 0);
    if (!options.rtsp_transport.empty()) av_dict_set(&opts, "rtsp_transport", options.rtsp_transport.c_str(), 0);
  }
  if (options.listen && (scheme == "http" || scheme == "https")) av_dict_set(&opts, "listen", "1", 0);
  if (kind == SourceKind::kNetwork && scheme.empty()) {  // .sdp describing RTP (trusted callers only)
    av_dict_set(&opts, "protocol_whitelist", "file,udp,rtp,srtp,crypto,data", 0);
  }
  if (kind == SourceKind::kFile) {
    // Probing a file costs no waiting: look further for streams whose first
    // packet comes late (audio behind a large key frame), so they keep their
    // parameters. find_stream_info stops as soon as all are known.
    av_dict_set(&opts, "probesize", "67108864", 0);
  }
  for (const auto& [k, v] : options.input_options) av_dict_set(&opts, k.c_str(), v.c_str(), 0);

  if (options.listen) {
    gate.disarm();
  } else {
    gate.arm(timeout > Nanos::zero() ? timeout : options.open_timeout);
  }
  int ret = avformat_open_input(&ctx, open_url.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  auto open_error = [&](int r, const char* what) -> Error {
    if (gate.stopped()) return Error(ErrorCode::kAborted, std::string(what) + " " + url + ": stopped");
    if (gate.timed_out() || r == AVERROR(ETIMEDOUT)) {
      return Error(ErrorCode::kTimeout, std::string(what) + " " + url + ": no answer within " +
                                            std::to_string(options.open_timeout.count() / 1000000) + " ms");
    }
    std::string msg = std::string(what) + " " + url + ": " + av_error_text(r);
    if (r == AVERROR(ENOENT)) return Error(ErrorCode::kNotFound, msg);
    if (r == AVERROR_INVALIDDATA) return Error(ErrorCode::kInvalidArgument, msg + " (not a recognisable stream)");
    if (r == AVERROR_PROTOCOL_NOT_FOUND) return Error(ErrorCode::kUnsupported, msg);
    return Error(ErrorCode::kUnavailable, msg);
  };
  if (ret < 0) {
    // avformat_open_input frees ctx on failure, but not our custom AVIO.
    return open_error(ret, "opening");
  }
  src->ctx_ = ctx;
  ret = avformat_find_stream_info(ctx, nullptr);
  // An interrupted probe returns what it has, with streams left undescribed
  // (a live AAC track needs a PES or two): a timeout, not a partial source.
  if (ret < 0 || gate.timed_out() || gate.stopped()) return open_error(ret < 0 ? ret : AVERROR_EXIT, "probing");
  gate.disarm();
  return src;
}

}  // namespace discrec::recorder::ingest
