// Persistence of the emulated disc: the state file next to the image, the
// recovery after a crash, and the power-cut model's undo file.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "device/sim/disc.h"

namespace discrec::device::sim {
namespace {

// The files beside the image (.state, .state.tmp, .undo) are written by
// ofstream, which follows symlinks and opens whatever is there: anything but
// a regular file (or nothing) at such a path is refused, like the image.
Status check_plain_file(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::symlink_status(path, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found ||
      status.type() == std::filesystem::file_type::regular)
    return ok_status();
  return Error(ErrorCode::kFailedPrecondition, path + " is not a regular file; refusing to write it");
}

}  // namespace

Status Disc::recover_from_image(bool powercut) {
  ASSIGN_OR_RETURN(uint64_t size, image_->size());
  uint64_t synced_end = uint64_t{recorded_end()} * kBlockSize;
  if (powercut) {
    // Power cut model: what was written after the last SYNCHRONIZE CACHE
    // (the last saved state) never reached the disc.
    if (size > synced_end) return image_->truncate(synced_end);
    return ok_status();
  }
  // Without the power cut model the drive finished writing its buffer: the
  // image itself says how far the open track got.
  uint64_t image_end = (size + kBlockSize - 1) / kBlockSize;
  for (auto& t : tracks_) {
    if (t.closed || image_end <= t.next || image_end > t.end) continue;
    if (image_end > t.start) t.next = static_cast<uint32_t>(image_end);
  }
  return ok_status();
}

Status Disc::record_undo(uint32_t lba, size_t bytes) {
  std::vector<uint8_t> old(bytes);
  RETURN_IF_ERROR(image_->read(uint64_t{lba} * kBlockSize, old));
  RETURN_IF_ERROR(check_plain_file(undo_path_));
  std::ofstream undo(undo_path_, std::ios::binary | std::ios::app);
  uint8_t head[8] = {uint8_t(lba >> 24), uint8_t(lba >> 16), uint8_t(lba >> 8), uint8_t(lba),
                     uint8_t(bytes >> 24), uint8_t(bytes >> 16), uint8_t(bytes >> 8), uint8_t(bytes)};
  undo.write(reinterpret_cast<const char*>(head), sizeof head);
  undo.write(reinterpret_cast<const char*>(old.data()), static_cast<std::streamsize>(old.size()));
  // Out of this process before the data is overwritten: a crash right after
  // the write must still find the old contents.
  undo.flush();
  if (!undo) return Error(ErrorCode::kIo, "cannot write " + undo_path_);
  undo_dirty_ = true;
  return ok_status();
}

Status Disc::roll_back_unflushed() {
  std::ifstream undo(undo_path_, std::ios::binary);
  if (!undo) return ok_status();
  struct Record {
    uint32_t lba;
    std::vector<uint8_t> bytes;
  };
  std::vector<Record> records;
  uint8_t head[8];
  while (undo.read(reinterpret_cast<char*>(head), sizeof head)) {
    uint32_t lba = uint32_t{head[0]} << 24 | uint32_t{head[1]} << 16 | uint32_t{head[2]} << 8 | head[3];
    uint32_t n = uint32_t{head[4]} << 24 | uint32_t{head[5]} << 16 | uint32_t{head[6]} << 8 | head[7];
    if (n > (256u << 20)) break;  // a torn tail: the process died while appending
    Record r{lba, std::vector<uint8_t>(n)};
    if (!undo.read(reinterpret_cast<char*>(r.bytes.data()), n)) break;
    records.push_back(std::move(r));
  }
  undo.close();
  for (auto it = records.rbegin(); it != records.rend(); ++it)
    RETURN_IF_ERROR(image_->write(uint64_t{it->lba} * kBlockSize, it->bytes));
  ASSIGN_OR_RETURN(uint64_t size, image_->size());
  if (size > synced_size_) RETURN_IF_ERROR(image_->truncate(synced_size_));
  std::remove(undo_path_.c_str());
  return ok_status();
}

Status Disc::save() {
  if (!image_) return ok_status();  // an empty tray has nothing to keep
  if (powercut_ && !media_->sequential) {
    ASSIGN_OR_RETURN(synced_size_, image_->size());
  }
  std::ostringstream out;
  out << "discrec-sim-state 1\n"
      << "profile " << media_->name << "\n"
      << "capacity " << capacity_ << "\n"
      << "formatted " << formatted_ << "\n"
      << "spares " << spares_ << "\n"
      << "formatted_blocks " << formatted_blocks_ << "\n"
      << "finalized " << finalized_ << "\n"
      << "closed_sessions " << closed_sessions_ << "\n"
      << "synced_size " << synced_size_ << "\n";
  for (const auto& t : tracks_)
    out << "track " << t.number << ' ' << t.session << ' ' << t.start << ' ' << t.end << ' ' << t.next << ' '
        << t.reserved << ' ' << t.closed << "\n";
  for (const auto& e : damaged_) out << "damaged " << e.first << ' ' << e.count << "\n";
  std::string tmp = state_path_ + ".tmp";
  RETURN_IF_ERROR(check_plain_file(tmp));
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out.str();
    f.flush();
    if (!f) return Error(ErrorCode::kIo, "cannot write state " + tmp);
  }
  RETURN_IF_ERROR(replace_file(tmp, state_path_));
  // Flushed: nothing to roll back any more. (A crash between the two steps
  // would roll back flushed data; the model accepts that window.)
  if (undo_dirty_) {
    std::ofstream(undo_path_, std::ios::trunc);
    undo_dirty_ = false;
  }
  return ok_status();
}

Status Disc::load_state(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kIo, "state file " + state_path_ + ": " + why);
  };
  if (!std::getline(in, line) || line != "discrec-sim-state 1") return bad("not a discrec sim state file");
  while (std::getline(in, line)) {
    std::istringstream w(line);
    std::string key;
    if (!(w >> key)) continue;
    if (key == "profile") {
      std::string name;
      w >> name;
      media_ = find_media(name);
      if (!media_) return bad("unknown profile " + name);
    } else if (key == "capacity") {
      w >> capacity_;
    } else if (key == "formatted") {
      w >> formatted_;
    } else if (key == "spares") {
      w >> spares_;
    } else if (key == "formatted_blocks") {
      w >> formatted_blocks_;
    } else if (key == "finalized") {
      w >> finalized_;
    } else if (key == "closed_sessions") {
      w >> closed_sessions_;
    } else if (key == "synced_size") {
      w >> synced_size_;
    } else if (key == "track") {
      Track t;
      w >> t.number >> t.session >> t.start >> t.end >> t.next >> t.reserved >> t.closed;
      if (t.start > t.end || t.next < t.start || t.next > t.end) return bad("inconsistent track: " + line);
      tracks_.push_back(t);
    } else if (key == "damaged") {
      Extent e;
      w >> e.first >> e.count;
      damaged_.push_back(e);
    } else {
      return bad("unknown key " + key);
    }
    if (w.fail()) return bad("malformed line: " + line);
  }
  if (!media_ || capacity_ == 0) return bad("missing profile or capacity");
  for (const auto& t : tracks_)
    if (t.end > capacity_) return bad("track beyond capacity");
  if (formatted_blocks_ > capacity_) return bad("formatted size beyond capacity");
  return ok_status();
}

}  // namespace discrec::device::sim
