#include "daemon/drive_quirks_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace discrec::daemon {
namespace {

namespace fs = std::filesystem;

Result<LoadedQuirks> read_table(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, "cannot read " + what + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  ASSIGN_OR_RETURN(device::QuirkTable table, device::QuirkTable::parse(text.str(), path));
  LoadedQuirks out;
  out.table = std::make_shared<const device::QuirkTable>(std::move(table));
  out.path = path;
  return out;
}

}  // namespace

std::string shipped_drive_quirks_path() {
  std::vector<fs::path> candidates;
  // The program's own place works for any prefix and for a package unpacked
  // elsewhere; /proc/self/exe is Linux's, and elsewhere simply not there.
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(self.parent_path().parent_path() / "share" / "discrecd" / "drive-quirks.txt");
  candidates.emplace_back(DISCREC_DRIVE_QUIRKS_INSTALLED);
  candidates.emplace_back(DISCREC_DRIVE_QUIRKS_SOURCE);
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c.lexically_normal().generic_string();
  return DISCREC_DRIVE_QUIRKS_INSTALLED;
}

Result<LoadedQuirks> load_drive_quirks(const std::string& configured) {
  if (!configured.empty()) return read_table(configured, "the drive quirks file (daemon.drive_quirks)");
  const std::string shipped = shipped_drive_quirks_path();
  std::error_code ec;
  if (!fs::exists(shipped, ec)) {
    LoadedQuirks none;
    none.table = std::make_shared<const device::QuirkTable>();
    none.warning = "no drive quirks table at " + shipped +
                   " (is discrecd installed completely?): drives run without known quirks";
    return none;
  }
  return read_table(shipped, "the shipped drive quirks table");
}

}  // namespace discrec::daemon
