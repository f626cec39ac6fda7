// A library drive's tray: the disc the emulated changer (sim-changer://)
// puts in and takes out. Library::move calls these with its own lock held;
// they take only the drive's.
#include "device/sim/sim_drive.h"

namespace discrec::device::sim {

Status SimDrive::load_disc(const std::string& image_path, std::optional<TimePoint> arrives_at) {
  std::lock_guard lock(mutex_);
  if (disc_->has_image()) return Error(ErrorCode::kFailedPrecondition, "sim: drive " + uri_ + " holds a disc already");
  SimOptions o = options_;
  o.image_path = image_path;
  o.media = nullptr;  // the disc's own state says what it is
  o.blocks.reset();
  o.preformat = Preformat::kNone;
  o.start_empty = false;
  ASSIGN_OR_RETURN(auto disc, Disc::open(o));
  if (abandoned_) disc->abandon();
  adopt_disc(std::move(disc));
  medium_present_ = false;
  reinsert_at_.reset();
  // The disc is in the drive's hands from now (its image held), in its
  // tray when the picker is done: run() inserts it at that time.
  if (arrives_at && *arrives_at > clock_->now()) reinsert_at_ = *arrives_at;
  else do_insert();
  return ok_status();
}

Result<TimePoint> SimDrive::unload_disc() {
  std::lock_guard lock(mutex_);
  TimePoint now = clock_->now();
  if (!disc_->has_image()) return now;
  if (prevent_removal_)
    return Error(ErrorCode::kFailedPrecondition, "sim: drive " + uri_ + ": medium removal prevented");
  // The drive writes out its buffer before it lets the disc go.
  TimePoint released = std::max(now, timing_->media_idle_at(now));
  do_remove(released);
  Status saved = abandoned_ ? ok_status() : disc_->save();  // a crashed process keeps nothing
  // The empty drive keeps the identity of the kind of disc it last held.
  const MediaProfile* identity = find_media(disc_->media().name);
  disc_ = Disc::empty_tray(identity ? *identity : all_media().front(), options_.rate_divisor);
  reinsert_at_.reset();
  unit_attention_.reset();
  if (!saved.ok()) return std::move(saved).error();
  return released;
}

bool SimDrive::tray_empty() {
  std::lock_guard lock(mutex_);
  return !disc_->has_image();
}

}  // namespace discrec::device::sim
