#include "device/sim/disc.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

namespace discrec::device::sim {
namespace {

uint32_t round_up(uint32_t v, uint32_t unit) {
  uint64_t r = (uint64_t{v} + unit - 1) / unit * unit;
  return static_cast<uint32_t>(std::min<uint64_t>(r, UINT32_MAX));
}

}  // namespace

Result<std::unique_ptr<Disc>> Disc::open(const SimOptions& options) {
  std::unique_ptr<Disc> disc(new Disc());
  disc->image_path_ = options.image_path;
  disc->state_path_ = options.image_path + ".state";
  disc->undo_path_ = options.image_path + ".undo";
  disc->powercut_ = options.powercut;
  // Locked: one drive per image, a second opener would corrupt the NWA bookkeeping.
  ASSIGN_OR_RETURN(disc->image_, ImageFile::open(options.image_path));
  // Read and close the state file before it is replaced (Windows cannot
  // replace an open file).
  std::optional<std::string> stored;
  if (std::ifstream state(disc->state_path_); state) {
    std::stringstream text;
    text << state.rdbuf();
    stored = text.str();
  }
  if (stored) {
    RETURN_IF_ERROR(disc->load_state(*stored));
    if (options.media && options.media != disc->media_)
      return Error(ErrorCode::kFailedPrecondition,
                   "image " + options.image_path + " holds a " + std::string(disc->media_->label) +
                       " disc, the URI asks for " + std::string(options.media->label));
    if (options.blocks && *options.blocks != disc->capacity_)
      return Error(ErrorCode::kFailedPrecondition,
                   "image " + options.image_path + " has " + std::to_string(disc->capacity_) +
                       " blocks, the URI asks for " + std::to_string(*options.blocks));
  } else {
    disc->media_ = options.media ? options.media : find_media("bd-re");
    disc->capacity_ = options.blocks.value_or(disc->media_->capacity_blocks);
    if (disc->media_->sequential) {
      disc->open_next_track(0, 1);
    } else {
      bool has_data = disc->image_->size().value_or(0) > 0;
      if (options.preformat == Preformat::kWithSpares && disc->media_->has_spare_areas) {
        disc->formatted_ = true;
        disc->spares_ = true;
        disc->formatted_blocks_ = disc->capacity_ - spare_blocks_for(*disc->media_, disc->capacity_);
      } else if (options.preformat != Preformat::kNone || has_data) {
        // An existing image without state is taken as a formatted disc so
        // ordinary images can be served.
        disc->formatted_ = true;
        disc->formatted_blocks_ = disc->capacity_;
      }
    }
  }
  if (disc->media_->sequential && !disc->finalized_) RETURN_IF_ERROR(disc->recover_from_image(options.powercut));
  if (!disc->media_->sequential && options.powercut) RETURN_IF_ERROR(disc->roll_back_unflushed());
  if (options.rate_divisor > 1) {
    // A slower copy of the profile: every rate the drive reports and runs
    // at (1x, so each speed) is divided, the rest is the medium's. Taken
    // after the checks above, which compare against the table's rows.
    disc->slowed_media_ = *disc->media_;
    disc->slowed_media_.one_x_bytes_per_second /= options.rate_divisor;
    disc->media_ = &disc->slowed_media_;
  }
  RETURN_IF_ERROR(disc->save());
  disc->opened_ = true;
  return disc;
}

std::unique_ptr<Disc> Disc::empty_tray(const MediaProfile& media, uint32_t rate_divisor) {
  std::unique_ptr<Disc> disc(new Disc());
  disc->media_ = &media;
  if (rate_divisor > 1) {
    disc->slowed_media_ = media;
    disc->slowed_media_.one_x_bytes_per_second /= rate_divisor;
    disc->media_ = &disc->slowed_media_;
  }
  return disc;
}

Disc::~Disc() {
  // A disc that failed to open must not overwrite the state of the one
  // that holds the image.
  if (opened_ && !abandoned_) (void)save();
}

uint32_t Disc::user_capacity() const {
  if (media_->sequential) return capacity_;
  return formatted_ ? formatted_blocks_ : 0;
}

bool Disc::blank() const {
  if (!media_->sequential) return !formatted_;
  return !finalized_ && closed_sessions_ == 0 && tracks_.size() == 1 && tracks_[0].blank() &&
         !tracks_[0].reserved;
}

uint32_t Disc::recorded_end() const {
  if (!media_->sequential) return user_capacity();
  uint32_t end = 0;
  for (const auto& t : tracks_) {
    if (t.closed) end = std::max(end, t.end);
    else if (!t.blank()) end = std::max(end, t.next);
  }
  return end;
}

Track* Disc::track_at(uint32_t lba) {
  for (auto& t : tracks_)
    if (lba >= t.start && lba < t.end) return &t;
  return nullptr;
}
const Track* Disc::track_at(uint32_t lba) const { return const_cast<Disc*>(this)->track_at(lba); }

void Disc::open_next_track(uint32_t start, uint16_t session) {
  if (start >= capacity_) return;
  Track t;
  t.number = tracks_.empty() ? 1 : static_cast<uint16_t>(tracks_.back().number + 1);
  t.session = session;
  t.start = start;
  t.end = capacity_;
  t.next = start;
  tracks_.push_back(t);
}

Check Disc::check_write(uint32_t lba, uint32_t blocks) const {
  if (!media_->sequential) {
    if (!formatted_) return sense::kMediumNotFormatted;
    if (lba >= formatted_blocks_ || uint64_t{lba} + blocks > formatted_blocks_) return sense::kLbaOutOfRange;
    return std::nullopt;
  }
  // A finalized disc is read-only; drives answer like for a non-writable
  // medium (tgt gives the same 5/30/05).
  if (finalized_) return sense::kCannotWriteMedium;
  if (blocks == 0) return std::nullopt;
  if (lba >= capacity_) return sense::kLbaOutOfRange;
  const Track* t = track_at(lba);
  if (!t || !t->writable() || lba != t->next) return sense::kInvalidWriteAddress;
  if (uint64_t{lba} + blocks > t->end) return sense::kEndOfUserArea;
  return std::nullopt;
}

void Disc::commit_write(uint32_t lba, uint32_t blocks) {
  if (!media_->sequential || blocks == 0) return;
  Track* t = track_at(lba);
  if (!t) return;
  t->next = std::max(t->next, std::min(t->end, lba + blocks));
  // Writing a reserved track to its end completes it.
  if (t->reserved && t->next == t->end) t->closed = true;
}

Check Disc::check_read(uint32_t lba, uint32_t blocks) const {
  if (!media_->sequential) {
    if (!formatted_) return sense::kMediumNotFormatted;
    if (uint64_t{lba} + blocks > formatted_blocks_) return sense::kLbaOutOfRange;
    return std::nullopt;
  }
  // Only recorded blocks read; anything else is "LBA out of range" (the
  // drive cannot address unrecorded area on write-once media).
  uint64_t at = lba;
  uint64_t end = uint64_t{lba} + std::max<uint32_t>(blocks, 1);
  while (at < end) {
    const Track* t = at < capacity_ ? track_at(static_cast<uint32_t>(at)) : nullptr;
    if (!t) return sense::kLbaOutOfRange;
    uint64_t limit = t->closed ? t->end : t->next;
    if (at >= limit) return sense::kLbaOutOfRange;
    at = std::min<uint64_t>(end, limit);
  }
  return std::nullopt;
}

Check Disc::reserve_track(uint32_t blocks) {
  if (!media_->sequential) return sense::kSequenceError;
  if (finalized_) return sense::kCannotWriteMedium;
  if (blocks == 0) return sense::kInvalidFieldInCdb;
  if (tracks_.empty() || !tracks_.back().invisible() || !tracks_.back().blank())
    return sense::kSequenceError;
  uint32_t max_tracks = media_->bd ? 7599 : 99;
  if (tracks_.back().number >= max_tracks) return sense::kNoMoreReservations;
  Track& t = tracks_.back();
  uint32_t size = round_up(blocks, media_->ecc_blocks);
  if (uint64_t{t.start} + size > capacity_) return sense::kInvalidFieldInCdb;
  t.reserved = true;
  t.end = t.start + size;
  open_next_track(t.end, t.session);
  return std::nullopt;
}

Check Disc::close_session(bool finalize) {
  uint16_t session = static_cast<uint16_t>(closed_sessions_ + 1);
  bool has_data = false;
  for (const auto& t : tracks_)
    if (t.session == session && (t.reserved || !t.blank())) has_data = true;
  if (!has_data && !(finalize && closed_sessions_ > 0)) return sense::kSequenceError;
  std::erase_if(tracks_, [&](const Track& t) { return t.invisible() && t.blank(); });
  uint32_t end = 0;
  for (auto& t : tracks_) {
    if (t.session == session && !t.closed) {
      if (!t.reserved) t.end = std::min(capacity_, t.start + round_up(t.next - t.start, media_->ecc_blocks));
      t.closed = true;
    }
    end = std::max(end, t.end);
  }
  if (has_data) ++closed_sessions_;
  if (finalize) finalized_ = true;
  else open_next_track(end, static_cast<uint16_t>(closed_sessions_ + 1));
  return std::nullopt;
}

Check Disc::close(uint8_t function, uint16_t number, bool finalize_dvd_r) {
  if (!media_->sequential) {
    // Random-writable media have nothing to close; DVD+RW uses 000b/010b to
    // stop background formatting, which the emulator finishes at once.
    if (function <= 2) return std::nullopt;
    return sense::kInvalidFieldInCdb;
  }
  if (finalized_) return sense::kCannotWriteMedium;
  bool dvd_plus_r = media_->profile == 0x001B;
  switch (function) {
    case 1: {
      auto it = std::find_if(tracks_.begin(), tracks_.end(), [&](const Track& t) { return t.number == number; });
      if (it == tracks_.end()) return sense::kInvalidFieldInCdb;
      Track& t = *it;
      if (t.closed || (t.invisible() && t.blank())) return std::nullopt;
      if (t.invisible()) {
        t.end = std::min(capacity_, t.start + round_up(t.next - t.start, media_->ecc_blocks));
        t.closed = true;
        if (&t == &tracks_.back()) open_next_track(t.end, t.session);
      } else {
        t.closed = true;  // a reserved track is padded to its size
      }
      return std::nullopt;
    }
    case 2:
      return close_session(media_->profile == 0x0011 && finalize_dvd_r);
    case 5:
      if (!dvd_plus_r) return sense::kInvalidFieldInCdb;
      return close_session(true);
    case 6:
      if (!dvd_plus_r && !media_->bd) return sense::kInvalidFieldInCdb;
      return close_session(true);
    default:
      return sense::kInvalidFieldInCdb;
  }
}

std::vector<std::pair<uint8_t, uint32_t>> Disc::format_descriptors() const {
  uint32_t spare = spare_blocks_for(*media_, capacity_);
  switch (media_->profile) {
    case 0x0043:  // BD-RE: default spares, doubled spares, no spares
      return {{0x00, capacity_ - spare}, {0x30, capacity_ - spare}, {0x30, capacity_ - 2 * spare},
              {0x31, capacity_}};
    case 0x0012:  // DVD-RAM: with and without the spare area
      return {{0x00, capacity_ - spare}, {0x00, capacity_}};
    case 0x001A:  // DVD+RW background format
      return {{0x26, capacity_}};
    default:
      return {};
  }
}

Check Disc::format(uint8_t type, uint32_t blocks) {
  if (media_->sequential) return sense::kCannotFormatMedium;
  uint32_t spare = spare_blocks_for(*media_, capacity_);
  bool with_spares = false;
  uint32_t size = 0;
  bool default_size = blocks == 0 || blocks == 0xFFFFFFFF;
  switch (media_->profile) {
    case 0x0043:
      if (type == 0x00 || type == 0x30) {
        with_spares = true;
        size = default_size ? capacity_ - spare : blocks;
        if (size > capacity_ - spare || size < capacity_ / 2) return sense::kInvalidFieldInParameters;
      } else if (type == 0x31) {
        size = default_size ? capacity_ : blocks;
        if (size > capacity_ || size < capacity_ / 2) return sense::kInvalidFieldInParameters;
      } else {
        return sense::kInvalidFieldInParameters;
      }
      break;
    case 0x0012:
      if (type != 0x00) return sense::kInvalidFieldInParameters;
      if (default_size || blocks == capacity_ - spare) {
        with_spares = true;
        size = capacity_ - spare;
      } else if (blocks == capacity_) {
        size = capacity_;
      } else {
        return sense::kInvalidFieldInParameters;
      }
      break;
    case 0x001A:
      if (type != 0x26 || !(default_size || blocks == capacity_)) return sense::kInvalidFieldInParameters;
      size = capacity_;
      break;
    default:
      return sense::kCannotFormatMedium;
  }
  size = size / media_->ecc_blocks * media_->ecc_blocks;
  formatted_ = true;
  spares_ = with_spares;
  formatted_blocks_ = size;
  damaged_.clear();
  // Formatting leaves a disc that reads back zeros.
  if (!image_ || !image_->truncate(0).ok()) return SenseCode{0x3, 0x31, 0x01};  // format failed
  return std::nullopt;
}

void Disc::mark_damaged(uint32_t lba, uint32_t blocks) {
  if (blocks == 0) return;
  damaged_.push_back({lba, blocks});
}

bool Disc::damaged(uint32_t lba, uint32_t blocks, uint32_t* first_bad) const {
  uint64_t end = uint64_t{lba} + std::max<uint32_t>(blocks, 1);
  for (const auto& e : damaged_) {
    uint64_t e_end = uint64_t{e.first} + e.count;
    if (e.first < end && lba < e_end) {
      if (first_bad) *first_bad = std::max(lba, e.first);
      return true;
    }
  }
  return false;
}

Status Disc::write_data(uint32_t lba, std::span<const uint8_t> data) {
  if (!image_) return Error(ErrorCode::kFailedPrecondition, "sim: no disc in the drive");
  if (powercut_ && !media_->sequential) RETURN_IF_ERROR(record_undo(lba, data.size()));
  return image_->write(uint64_t{lba} * kBlockSize, data);
}

Status Disc::read_data(uint32_t lba, std::span<uint8_t> data) {
  if (!image_) return Error(ErrorCode::kFailedPrecondition, "sim: no disc in the drive");
  return image_->read(uint64_t{lba} * kBlockSize, data);
}

}  // namespace discrec::device::sim
