#include "clients/cli/output.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#if !defined(_WIN32)
#include <sys/ioctl.h>
#include <unistd.h>
#endif

namespace discrec::cli {

void print_json(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json << std::endl;
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string human_rate(double bps) {
  char buf[32];
  if (bps >= 1e6) std::snprintf(buf, sizeof buf, "%.2f Mbit/s", bps / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0f kbit/s", bps / 1e3);
  return buf;
}

std::string progress_bar(double fraction, const std::string& label, int width) {
  if (!(fraction >= 0)) fraction = 0;
  if (fraction > 1) fraction = 1;
  int filled = static_cast<int>(std::lround(fraction * width));
  std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
  char pct[16];
  std::snprintf(pct, sizeof pct, " %3.0f%%  ", fraction * 100);
  return bar + pct + label;
}

size_t terminal_columns() {
#if !defined(_WIN32)
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
#endif
  if (const char* columns = std::getenv("COLUMNS")) {
    long n = std::strtol(columns, nullptr, 10);
    if (n >= 20 && n <= 1000) return static_cast<size_t>(n);
  }
  return 80;
}

void ProgressLine::update(const std::string& line) {
  if (options_.json) return;
  if (options_.tty) {
    // A line wider than the terminal wraps, and "\r" then rewrites only its
    // last row: every update would scroll. Cut it to the width instead.
    const size_t width = terminal_columns();
    std::string shown = line.size() < width ? line : line.substr(0, width - 1);
    std::fprintf(stderr, "\r\033[K%s", shown.c_str());
    std::fflush(stderr);
    drawn_ = true;
    last_ = line;
    return;
  }
  // Not a terminal (a log, a pipe): one line per new stage or per 10%, not a flood.
  if (line == last_) return;
  if (!throttle_) {
    std::fprintf(stderr, "%s\n", line.c_str());
    last_ = line;
    return;
  }
  std::string key = line.substr(line.find(']') == std::string::npos ? 0 : line.find(']') + 1);
  auto pct = key.find('%');
  std::string stage = pct == std::string::npos ? key : key.substr(pct + 1);
  int percent = pct == std::string::npos ? -1 : std::atoi(key.c_str());
  if (stage != last_stage_ || percent / 10 != last_decile_ || percent == 100) {
    std::fprintf(stderr, "%s\n", line.c_str());
    last_stage_ = stage;
    last_decile_ = percent / 10;
  }
  last_ = line;
}

void ProgressLine::finish() {
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace discrec::cli
