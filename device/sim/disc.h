// The medium in the emulated drive: its recording state (tracks, sessions,
// format) and the sparse image that holds its data. LBA n lives at byte
// n*2048 of the image, so a finalized image is a plain disc image. The state
// lives in "<image>.state" so closing and reopening gives the same disc.
//
// Write-once rules (README.md, "Media rules"): one invisible track at the
// end; RESERVE TRACK cuts a fixed-size track out of it; each open track
// takes writes only at its next writable address; CLOSE TRACK/SESSION and
// finalize end that.
//
// Thread-safety: thread-compatible (SimDrive serialises access).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "device/sim/image_file.h"
#include "device/sim/media.h"
#include "device/sim/sense.h"
#include "device/sim/sim_options.h"

namespace discrec::device::sim {

inline constexpr uint32_t kBlockSize = 2048;

struct Track {
  uint16_t number = 1;
  uint16_t session = 1;
  uint32_t start = 0;
  uint32_t end = 0;    // exclusive; the invisible track runs to the capacity
  uint32_t next = 0;   // next writable address
  bool reserved = false;
  bool closed = false;
  bool writable() const { return !closed && next < end; }
  bool blank() const { return next == start; }
  bool invisible() const { return !reserved && !closed; }
};

struct Extent {
  uint32_t first = 0;
  uint32_t count = 0;
};

class Disc {
 public:
  // Opens the image named in `options` (creating it and its state file if
  // needed) and locks it against a second opener. Errors: kIo, kUnavailable
  // (image in use), kFailedPrecondition (URI contradicts the stored disc).
  static Result<std::unique_ptr<Disc>> open(const SimOptions& options);
  // No disc: what a library drive holds while its tray is empty. It has
  // the identity of `media` (so the drive still names itself a BD or DVD
  // writer, with its rates divided by the drive's rate_divisor) but no
  // image; save() does nothing, data access fails.
  static std::unique_ptr<Disc> empty_tray(const MediaProfile& media, uint32_t rate_divisor = 1);
  ~Disc();

  // False for empty_tray().
  bool has_image() const { return image_ != nullptr; }

  const MediaProfile& media() const { return *media_; }
  const std::string& image_path() const { return image_path_; }
  uint32_t capacity() const { return capacity_; }
  // Blocks a host can address: the formatted size on random media.
  uint32_t user_capacity() const;
  bool random_writable() const { return !media_->sequential && formatted_; }
  bool formatted() const { return formatted_; }
  bool spares() const { return spares_; }
  // Verify-after-write is on: random media formatted with spare areas.
  bool defect_management() const { return random_writable() && spares_; }
  bool finalized() const { return finalized_; }
  const std::vector<Track>& tracks() const { return tracks_; }
  uint16_t closed_sessions() const { return closed_sessions_; }
  bool blank() const;
  // Highest recorded LBA + 1 (0 when nothing is recorded).
  uint32_t recorded_end() const;

  // --- rules; nullopt = allowed ---
  Check check_write(uint32_t lba, uint32_t blocks) const;
  Check check_read(uint32_t lba, uint32_t blocks) const;
  // Advances the next writable address after an accepted write (also after
  // a failed one: a medium error consumes the blocks, as on a real disc).
  void commit_write(uint32_t lba, uint32_t blocks);
  Check reserve_track(uint32_t blocks);
  // `function` is the 3-bit Close Function; `finalize_dvd_r` is page 05's
  // multi-session = 00b (close session finalizes a DVD-R).
  Check close(uint8_t function, uint16_t number, bool finalize_dvd_r);
  // Format type per MMC.md §10.1; `blocks` 0 or 0xFFFFFFFF = default size.
  Check format(uint8_t type, uint32_t blocks);
  // Formattable descriptors (type, blocks) as READ FORMAT CAPACITIES lists them.
  std::vector<std::pair<uint8_t, uint32_t>> format_descriptors() const;

  void mark_damaged(uint32_t lba, uint32_t blocks);
  bool damaged(uint32_t lba, uint32_t blocks, uint32_t* first_bad) const;

  // --- data ---
  Status write_data(uint32_t lba, std::span<const uint8_t> data);
  Status read_data(uint32_t lba, std::span<uint8_t> data);

  // Persists the state file (atomic rename).
  Status save();
  // Drop persistence: the destructor will not save (a simulated crash).
  void abandon() { abandoned_ = true; }

 private:
  Disc() = default;
  Status load_state(const std::string& text);
  // Power-cut model on random-writable media: before a block is overwritten
  // its old contents go to "<image>.undo"; a save() (flush) empties it; an
  // open after a crash plays it back, newest first.
  Status record_undo(uint32_t lba, size_t bytes);
  Status roll_back_unflushed();
  Status recover_from_image(bool powercut);
  Track* track_at(uint32_t lba);
  const Track* track_at(uint32_t lba) const;
  void open_next_track(uint32_t start, uint16_t session);
  Check close_session(bool finalize);

  const MediaProfile* media_ = nullptr;
  MediaProfile slowed_media_;  // media_ points here with rate_divisor > 1
  std::string image_path_;
  std::string state_path_;
  std::string undo_path_;
  bool powercut_ = false;
  bool undo_dirty_ = false;
  uint64_t synced_size_ = 0;  // image size at the last save (power-cut model)
  std::unique_ptr<ImageFile> image_;
  uint32_t capacity_ = 0;
  bool formatted_ = false;
  bool spares_ = false;
  uint32_t formatted_blocks_ = 0;
  bool finalized_ = false;
  uint16_t closed_sessions_ = 0;
  std::vector<Track> tracks_;
  std::vector<Extent> damaged_;
  bool opened_ = false;
  bool abandoned_ = false;
};

}  // namespace discrec::device::sim
