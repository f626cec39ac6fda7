// What the tgt tests share about the fixture tgt_fixture.sh started (ctest
// passes its directory in DISCREC_TGT_DIR and the script in
// DISCREC_TGT_FIXTURE).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace discrec::test::tgt {

// "" when not run through ctest.
inline std::string fixture_dir() {
  const char* d = std::getenv("DISCREC_TGT_DIR");
  return d ? d : "";
}

// A file the fixture wrote (the target's URI, tgtd's pid), trailing blanks cut.
inline std::string read_trimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The command that puts a fresh blank disc named `medium` in the shared LU.
inline std::string swap_command(const std::string& medium) {
  const char* script = std::getenv("DISCREC_TGT_FIXTURE");
  return std::string(script ? script : "false") + " swap " + fixture_dir() + " " + medium + " >/dev/null";
}

}  // namespace discrec::test::tgt
