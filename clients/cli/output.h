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
// The terminal's width on stderr (TIOCGWINSZ, else $COLUMNS, else 80).
size_t terminal_columns();

std::string progress_bar(double fraction, const std::string& label, int width = 30);

class ProgressLine {
 public:
  // `throttle`: off a terminal, print only per stage / 10% step (else every change).
  explicit ProgressLine(const OutputOptions& options, bool throttle = true)
      : options_(options), throttle_(throttle) {}
  ~ProgressLine() { finish(); }
  void update(const std::string& line);  // redraws on a terminal, else prints when changed
  void finish();

 private:
  OutputOptions options_;
  bool throttle_;
  std::string last_;
  std::string last_stage_;
  int last_decile_ = -1;
  bool drawn_ = false;
};

}  // namespace discrec::cli
