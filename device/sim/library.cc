#include "device/sim/library.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "device/sim/disc.h"
#include "device/sim/faults.h"
#include "device/sim/sim_drive.h"

namespace discrec::device::sim {
namespace {

constexpr uint16_t kDefaultSlots = 6;
constexpr uint16_t kDefaultDrives = 2;
constexpr uint16_t kDefaultImportExport = 1;

// The process-wide registry: one Library per canonical directory, so the
// changer and the drives of a library opened separately find each other.
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::weak_ptr<Library>>& registry() {
  static auto* r = new std::map<std::string, std::weak_ptr<Library>>();  // never freed: used until exit
  return *r;
}

const char* preformat_name(Preformat p) {
  switch (p) {
    case Preformat::kWithSpares: return "spares";
    case Preformat::kWithoutSpares: return "nospares";
    default: return "no";
  }
}

bool valid_tag(const std::string& tag) {
  if (tag.empty() || tag.size() > 32) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string two_digits(uint32_t n) {
  std::string s = std::to_string(n);
  if (s.size() < 2) s.insert(s.begin(), '0');
  return s;
}

}  // namespace

Result<std::shared_ptr<Library>> Library::attach(const std::string& directory, const LibraryShape& shape) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (!std::filesystem::is_directory(directory, ec))
    return Error(ErrorCode::kIo, "sim-changer: cannot create library directory " + directory);
  std::string canonical = std::filesystem::weakly_canonical(directory, ec).generic_string();
  if (ec) canonical = directory;
  std::lock_guard lock(registry_mutex());
  if (auto live = registry()[canonical].lock()) {
    RETURN_IF_ERROR(live->check_shape(shape));
    return live;
  }
  std::shared_ptr<Library> lib(new Library(canonical));
  lib->state_path_ = canonical + "/library.state";
  if (std::filesystem::exists(lib->state_path_, ec)) {
    std::lock_guard l(lib->mutex_);
    RETURN_IF_ERROR(lib->load());
    RETURN_IF_ERROR(lib->check_shape(shape));
  } else {
    // Another process creating the same library at once would interleave
    // the files: creation happens under the changer's lock.
    ASSIGN_OR_RETURN(auto creating, ImageFile::open(canonical + "/library.lock"));
    std::lock_guard l(lib->mutex_);
    if (std::filesystem::exists(lib->state_path_, ec)) {  // made meanwhile, by the one that had the lock
      RETURN_IF_ERROR(lib->load());
      RETURN_IF_ERROR(lib->check_shape(shape));
    } else {
      RETURN_IF_ERROR(lib->create(shape));
    }
  }
  registry()[canonical] = lib;
  return lib;
}

Library::~Library() = default;

Status Library::create(const LibraryShape& shape) {
  slots_ = shape.slots.value_or(kDefaultSlots);
  drives_ = shape.drives.value_or(kDefaultDrives);
  import_export_ = shape.import_export.value_or(kDefaultImportExport);
  media_ = shape.media ? shape.media : find_media("bd-re");
  blocks_ = shape.blocks;
  preformat_ = shape.preformat;
  uint16_t discs = std::min(shape.discs.value_or(slots_), slots_);
  // The discs first, library.state last: a crash in between leaves no
  // library, and the next open reuses the discs already made.
  for (uint16_t i = 0; i < discs; ++i) {
    std::string tag = next_tag();
    RETURN_IF_ERROR(create_blank_disc(tag));
    discs_.push_back({tag, static_cast<uint16_t>(kFirstSlotAddress + i), 0, false});
  }
  return save();
}

Status Library::check_shape(const LibraryShape& shape) const {
  auto differs = [&](const char* what, std::string have, std::string want) {
    return Error(ErrorCode::kFailedPrecondition, "library " + directory_ + " has " + have + " " + what +
                                                     ", the URI asks for " + want);
  };
  if (shape.slots && *shape.slots != slots_) return differs("slots", std::to_string(slots_), std::to_string(*shape.slots));
  if (shape.drives && *shape.drives != drives_)
    return differs("drives", std::to_string(drives_), std::to_string(*shape.drives));
  if (shape.import_export && *shape.import_export != import_export_)
    return differs("import/export elements", std::to_string(import_export_), std::to_string(*shape.import_export));
  if (shape.media && shape.media != media_)
    return differs("discs", std::string(media_->label), std::string(shape.media->label));
  if (shape.blocks && shape.blocks != blocks_)
    return differs("blocks per disc", blocks_ ? std::to_string(*blocks_) : "the full capacity",
                   std::to_string(*shape.blocks));
  return ok_status();
}

std::string Library::next_tag() { return "DISC" + two_digits(next_disc_++); }

Status Library::create_blank_disc(const std::string& tag) {
  SimOptions o;
  o.image_path = image_path(tag);
  o.media = media_;
  o.blocks = blocks_;
  o.preformat = preformat_;
  o.timing = false;
  ASSIGN_OR_RETURN(auto disc, sim::Disc::open(o));  // its state is written at open and close
  return ok_status();
}

std::optional<ElementType> Library::type_of(uint16_t address) const {
  if (address == kTransportAddress) return ElementType::kTransport;
  if (address >= kFirstImportExportAddress && address < kFirstImportExportAddress + import_export_)
    return ElementType::kImportExport;
  if (address >= kFirstDriveAddress && address < kFirstDriveAddress + drives_) return ElementType::kDataTransfer;
  if (address >= kFirstSlotAddress && address < kFirstSlotAddress + slots_) return ElementType::kStorage;
  return std::nullopt;
}

Library::Placement* Library::disc_at(uint16_t address) {
  for (auto& d : discs_)
    if (d.at == address) return &d;
  return nullptr;
}

std::vector<ElementStatus> Library::elements() const {
  std::lock_guard lock(mutex_);
  std::vector<ElementStatus> out;
  std::map<uint16_t, const Placement*> held;
  for (const auto& d : discs_) held[d.at] = &d;
  auto add = [&](uint16_t address, ElementType type) {
    ElementStatus e;
    e.address = address;
    e.type = type;
    if (auto it = held.find(address); it != held.end()) {
      e.full = true;
      e.volume_tag = it->second->tag;
      e.source = it->second->source;
      e.imported = it->second->imported;
    }
    if (auto it = exceptions_.find(address); it != exceptions_.end()) e.exception = it->second;
    out.push_back(std::move(e));
  };
  add(kTransportAddress, ElementType::kTransport);
  for (uint16_t i = 0; i < import_export_; ++i) add(kFirstImportExportAddress + i, ElementType::kImportExport);
  for (uint16_t i = 0; i < drives_; ++i) add(kFirstDriveAddress + i, ElementType::kDataTransfer);
  for (uint16_t i = 0; i < slots_; ++i) add(kFirstSlotAddress + i, ElementType::kStorage);
  return out;
}

std::string Library::drive_serial(uint16_t drive) const {
  return "SIM" + std::to_string(std::hash<std::string>{}(directory_ + "#drive" + std::to_string(drive)) % 100000000);
}

Status Library::attach_changer() {
  std::lock_guard lock(mutex_);
  if (changer_lock_) return Error(ErrorCode::kUnavailable, "the changer of library " + directory_ + " is open already");
  ASSIGN_OR_RETURN(changer_lock_, ImageFile::open(directory_ + "/library.lock"));
  // Another process's changer may have moved discs since this process read
  // the state; from now on this process is the only one that moves them.
  return load();
}

void Library::detach_changer() {
  std::lock_guard lock(mutex_);
  changer_lock_.reset();
}

Result<Check> Library::move(uint16_t from, uint16_t to, TimePoint now, TimePoint picker_free, Nanos duration,
                            TimePoint* done) {
  std::lock_guard lock(mutex_);
  *done = now;
  auto from_type = type_of(from);
  auto to_type = type_of(to);
  // The picker itself neither gives nor takes a disc in this library.
  if (!from_type || !to_type || *from_type == ElementType::kTransport || *to_type == ElementType::kTransport)
    return Check{sense::kInvalidElementAddress};
  if (exceptions_.count(from) || exceptions_.count(to)) return Check{sense::kMechanicalPositioningError};
  Placement* disc = disc_at(from);
  if (!disc) return Check{sense::kMediumSourceEmpty};
  TimePoint start = std::max(now, picker_free);
  if (from == to) {
    *done = start + duration;
    return Check{};
  }
  if (disc_at(to)) return Check{sense::kMediumDestinationFull};
  auto live = [&](uint16_t address, ElementType type) -> SimDrive* {
    if (type != ElementType::kDataTransfer) return nullptr;
    auto it = open_drives_.find(drive_number(address));
    return it == open_drives_.end() ? nullptr : it->second.sim;
  };
  SimDrive* source_drive = live(from, *from_type);
  SimDrive* destination_drive = live(to, *to_type);
  std::string path = image_path(disc->tag);
  if (destination_drive && !std::filesystem::exists(path + ".state")) RETURN_IF_ERROR(create_blank_disc(disc->tag));
  if (source_drive) {
    auto out = source_drive->unload_disc();
    if (!out.ok()) {
      // The drive holds on to its disc while the host prevents removal.
      if (out.error().code() == ErrorCode::kFailedPrecondition) return Check{sense::kRemovalPrevented};
      return Check{sense::kMechanicalPositioningError};
    }
    start = std::max(start, *out);
  }
  TimePoint arrival = start + duration;
  if (destination_drive) {
    if (Status in = destination_drive->load_disc(path, arrival); !in.ok()) {
      // The disc cannot go in (its image is held elsewhere): the picker
      // puts it back.
      if (source_drive) (void)source_drive->load_disc(path);
      return Check{sense::kMechanicalPositioningError};
    }
  }
  // The source address is the last slot the disc was in; a disc that never
  // was in one names the element it came in through.
  if (*from_type == ElementType::kStorage || disc->source == 0) disc->source = from;
  disc->at = to;
  disc->imported = false;
  RETURN_IF_ERROR(save());
  *done = arrival;
  return Check{};
}

Result<std::string> Library::import_blank(uint16_t address) {
  std::lock_guard lock(mutex_);
  if (address == 0) {
    for (uint16_t i = 0; i < import_export_ && address == 0; ++i)
      if (!disc_at(kFirstImportExportAddress + i)) address = kFirstImportExportAddress + i;
    if (address == 0) return Error(ErrorCode::kFailedPrecondition, "no empty import/export element in " + directory_);
  }
  if (type_of(address) != ElementType::kImportExport)
    return Error(ErrorCode::kFailedPrecondition, "element " + std::to_string(address) + " is not an import/export element");
  if (disc_at(address)) return Error(ErrorCode::kFailedPrecondition, "import/export element " + std::to_string(address) + " is full");
  std::string tag = next_tag();
  RETURN_IF_ERROR(create_blank_disc(tag));
  discs_.push_back({tag, address, 0, true});
  RETURN_IF_ERROR(save());
  return tag;
}

Result<std::string> Library::take_out(uint16_t address) {
  std::lock_guard lock(mutex_);
  if (type_of(address) != ElementType::kImportExport)
    return Error(ErrorCode::kFailedPrecondition, "element " + std::to_string(address) + " is not an import/export element");
  Placement* disc = disc_at(address);
  if (!disc) return Error(ErrorCode::kFailedPrecondition, "import/export element " + std::to_string(address) + " is empty");
  std::string path = image_path(disc->tag);
  std::erase_if(discs_, [&](const Placement& d) { return d.at == address; });
  RETURN_IF_ERROR(save());
  return path;
}

Status Library::set_exception(uint16_t address, std::optional<SenseCode> why) {
  std::lock_guard lock(mutex_);
  if (!type_of(address))
    return Error(ErrorCode::kInvalidArgument, "no element " + std::to_string(address) + " in library " + directory_);
  if (why) exceptions_[address] = *why;
  else exceptions_.erase(address);
  return ok_status();
}

Result<std::unique_ptr<SimDrive>> Library::open_drive(uint16_t drive, const std::string& uri, const SimOptions& options,
                                                      const TransportOptions& transport_options) {
  if (drive < 1 || drive > drives_)
    return Error(ErrorCode::kInvalidArgument, "sim-changer:// parameter drive=" + std::to_string(drive) +
                                                  ": library " + directory_ + " has " + std::to_string(drives_) +
                                                  " drives");
  std::lock_guard lock(mutex_);
  if (open_drives_.count(drive))
    return Error(ErrorCode::kUnavailable, "drive " + std::to_string(drive) + " of " + directory_ + " is open already");
  std::vector<FaultSpec> script;
  if (!options.faults_path.empty()) {
    ASSIGN_OR_RETURN(script, load_fault_script(options.faults_path));
  }
  ASSIGN_OR_RETURN(auto drive_lock, ImageFile::open(directory_ + "/drive-" + two_digits(drive) + ".lock"));
  // Without a changer in this process, one in another process may have
  // moved discs: the file says what is where.
  if (!changer_lock_) RETURN_IF_ERROR(load());
  Placement* held = disc_at(static_cast<uint16_t>(kFirstDriveAddress + drive - 1));
  std::unique_ptr<sim::Disc> disc;
  if (held) {
    if (!std::filesystem::exists(image_path(held->tag) + ".state")) RETURN_IF_ERROR(create_blank_disc(held->tag));
    SimOptions o = options;
    o.image_path = image_path(held->tag);
    o.media = nullptr;  // the disc's own state says what it is
    o.blocks.reset();
    o.preformat = Preformat::kNone;
    o.start_empty = false;
    ASSIGN_OR_RETURN(disc, sim::Disc::open(o));
  } else {
    disc = sim::Disc::empty_tray(*media_, options.rate_divisor);
  }
  SimOptions o = options;
  o.start_empty = !held;
  auto sim = SimDrive::create(uri, o, std::move(disc), std::move(script), transport_options);
  sim->library_ = shared_from_this();
  sim->library_drive_ = drive;
  sim->serial_ = drive_serial(drive);
  open_drives_[drive] = OpenDrive{sim.get(), std::move(drive_lock)};
  return sim;
}

void Library::detach_drive(uint16_t drive, SimDrive* sim) {
  std::lock_guard lock(mutex_);
  auto it = open_drives_.find(drive);
  if (it != open_drives_.end() && it->second.sim == sim) open_drives_.erase(it);
}

// --- library.state ---

Status Library::save() {
  std::ostringstream out;
  out << "discrec-sim-library 1\n"
      << "slots " << slots_ << "\n"
      << "drives " << drives_ << "\n"
      << "import_export " << import_export_ << "\n"
      << "profile " << media_->name << "\n";
  if (blocks_) out << "blocks " << *blocks_ << "\n";
  out << "formatted " << preformat_name(preformat_) << "\n"
      << "next_disc " << next_disc_ << "\n";
  for (const auto& d : discs_) out << "disc " << d.tag << ' ' << d.at << ' ' << d.source << ' ' << d.imported << "\n";
  std::string tmp = state_path_ + ".tmp";
  // Like the disc's state file: written only as a regular file, never
  // through a symlink or into a device someone put there.
  std::error_code ec;
  auto type = std::filesystem::symlink_status(tmp, ec).type();
  if (!ec && type != std::filesystem::file_type::not_found && type != std::filesystem::file_type::regular)
    return Error(ErrorCode::kFailedPrecondition, tmp + " is not a regular file; refusing to write it");
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out.str();
    f.flush();
    if (!f) return Error(ErrorCode::kIo, "cannot write library state " + tmp);
  }
  return replace_file(tmp, state_path_);
}

Status Library::load() {
  std::ifstream f(state_path_);
  if (!f) return Error(ErrorCode::kIo, "cannot read library state " + state_path_);
  auto bad = [&](const std::string& why) { return Error(ErrorCode::kIo, "library state " + state_path_ + ": " + why); };
  std::string line;
  if (!std::getline(f, line) || line != "discrec-sim-library 1") return bad("not a discrec sim library state file");
  std::vector<Placement> discs;
  uint32_t next_disc = 1;
  uint32_t slots = 0, drives = 0, import_export = 0;
  const MediaProfile* media = nullptr;
  std::optional<uint32_t> blocks;
  Preformat preformat = Preformat::kNone;
  while (std::getline(f, line)) {
    std::istringstream w(line);
    std::string key;
    if (!(w >> key)) continue;
    if (key == "slots") {
      w >> slots;
    } else if (key == "drives") {
      w >> drives;
    } else if (key == "import_export") {
      w >> import_export;
    } else if (key == "profile") {
      std::string name;
      w >> name;
      media = find_media(name);
      if (!media) return bad("unknown profile " + name);
    } else if (key == "blocks") {
      uint32_t b = 0;
      w >> b;
      blocks = b;
    } else if (key == "formatted") {
      std::string v;
      w >> v;
      preformat = v == "spares" ? Preformat::kWithSpares : v == "nospares" ? Preformat::kWithoutSpares : Preformat::kNone;
    } else if (key == "next_disc") {
      w >> next_disc;
    } else if (key == "disc") {
      Placement d;
      w >> d.tag >> d.at >> d.source >> d.imported;
      if (!valid_tag(d.tag)) return bad("bad volume tag in: " + line);
      discs.push_back(d);
    } else {
      return bad("unknown key " + key);
    }
    if (w.fail()) return bad("malformed line: " + line);
  }
  if (!media || slots < 1 || slots > 1000 || drives < 1 || drives > 64 || import_export > 16)
    return bad("missing or impossible shape");
  if (media_) {
    // Read again (another process's changer may have moved discs): the
    // shape is fixed once loaded, and read without the lock.
    if (slots != slots_ || drives != drives_ || import_export != import_export_ || media != media_ ||
        blocks != blocks_)
      return bad("the library's shape changed under it");
  } else {
    slots_ = static_cast<uint16_t>(slots);
    drives_ = static_cast<uint16_t>(drives);
    import_export_ = static_cast<uint16_t>(import_export);
    media_ = media;
    blocks_ = blocks;
    preformat_ = preformat;
  }
  for (size_t i = 0; i < discs.size(); ++i) {
    auto type = type_of(discs[i].at);
    if (!type || *type == ElementType::kTransport) return bad("disc " + discs[i].tag + " at no element");
    for (size_t j = 0; j < i; ++j)
      if (discs[j].at == discs[i].at || discs[j].tag == discs[i].tag) return bad("disc " + discs[i].tag + " twice");
  }
  // Never a tag twice, even if next_disc was lost or edited.
  for (const auto& d : discs) {
    uint32_t n = 0;
    if (d.tag.size() > 4 && d.tag.starts_with("DISC") &&
        std::from_chars(d.tag.data() + 4, d.tag.data() + d.tag.size(), n).ec == std::errc())
      next_disc = std::max(next_disc, n + 1);
  }
  discs_ = std::move(discs);
  next_disc_ = next_disc;
  return ok_status();
}

}  // namespace discrec::device::sim
