// How the CLI shows things: human tables and progress bars on a terminal,
// one JSON object per line with --json (for scripts).
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>

namespace discrec::cli {

struct OutputOptions {
  bool json = false;
  bool tty = false;  // stderr is a terminal: draw progress bars in place
};

void print_json(const google::protobuf::Message& message);
std::string human_bytes(uint64_t bytes);
std::string human_rate(double bits_per_second);
// A one-line bar: "[#########.........]  45%  label".
std::string progress_bar(double fraction, const std::string& label, int width = 30);

class ProgressLine {
 public:
  explicit ProgressLine(const OutputOptions& options) : options_(options) {}
  ~ProgressLine() { finish(); }
  void update(const std::string& line);  // redraws on a terminal, else prints when changed
  void finish();

 private:
  OutputOptions options_;
  std::string last_;
  bool drawn_ = false;
};

}  // namespace discrec::cli
