// DrivePool: recordings that outlive one disc.
//
// A pool is a set of configured drives. A recording started on the pool
// runs one source and writes it in parts, each an ordinary recording on one
// drive's disc (segment_feed.h). While a part's disc fills, the pool makes
// the next drive ready ahead of time (the next part starts there: disc
// checked, OPC, speed set, its file system planned, its ring allocated) once
// the projected time left falls below `prepare_margin`; when the disc is
// nearly full the source moves over at the next GOP start, the earlier part's
// ring drains to its own disc, and that disc is finalized (labelled with the
// recording and part number) and read back, while recording goes on.
//
// The pool sits above the sessions and uses the Recorder's public calls only
// (start/stop/get a drive's recording, finalize, verify, drive snapshots):
// each drive's command thread keeps its rules.
//
// Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <thread>
#include <atomic>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/result.h"
#include "device/changer.h"
#include "recorder/session/catalog.h"
#include "recorder/session/event_bus.h"
#include "recorder/session/types.h"
#include "recorder/ts_source.h"

namespace discrec::recorder {

class Recorder;
struct RecorderOptions;

struct PoolSpec {
  std::string id;                   // config name; shares the namespace of drive ids
  std::vector<std::string> drives;  // configured drive ids, tried in this order
  // The next part is made ready when the disc being recorded holds less
  // than this at the recording's rate.
  Nanos prepare_margin = std::chrono::minutes(10);
  // Read each full disc back after finalizing it.
  bool verify = true;
  // A media changer (device/changer.h) feeding the drives: `drives` are its
  // data transfer elements in address order. Empty: discs change by hand.
  std::string changer_uri;
  // Announce when the blank discs left in the changer last less than this
  // at the rate being recorded.
  Nanos warn_blank_hours = std::chrono::hours(24);
};

class DrivePool {
 public:
  DrivePool(PoolSpec spec, Recorder& recorder, const RecorderOptions& options, const TsSourceFactory& sources,
            EventBus& events, Clock& clock);
  ~DrivePool();  // stops every recording (what is on disc stays)
  DrivePool(const DrivePool&) = delete;
  DrivePool& operator=(const DrivePool&) = delete;

  const PoolSpec& spec() const { return spec_; }

  // `params.drive_id` is the pool's id. Starts part 1 on the first drive
  // that takes it. Errors: the source policy's, or every drive's refusal.
  Result<RecordingInfo> start_recording(const StartRecordingParams& params, CallDeadline deadline = {});
  Result<RecordingInfo> stop_recording(const std::string& recording_id, CallDeadline deadline = {});
  Result<RecordingInfo> get_recording(const std::string& recording_id) const;
  std::vector<RecordingInfo> list_recordings() const;
  uint32_t active_recordings() const;
  // Ends every recording; the parts' discs stay as they are (the last part's
  // open, like any recording's).
  void stop_all();
  // After a restart, in the background: a part that the catalog shows was
  // followed by another (its disc was full when the daemon stopped, maybe in
  // the middle of the hand-over) has its disc finalized, read back and put
  // back like any full part, once the drives have taken up their discs.
  void recover_full_discs();

 private:
  class Pooled;
  Result<Pooled*> find(const std::string& recording_id) const;

  // --- the changer (all under changer_mutex_: one robot, one plan) ---
  // Loads a blank disc from the changer into one of `drives` whose disc is
  // done with (none, or finalized and not being finished), putting any disc
  // it holds back first; skips and remembers slots whose disc is not blank.
  // Returns the drive. kUnavailable when no blank is left (an event says so).
  Result<std::string> load_blank(const std::vector<std::string>& drives, uint64_t rate_bytes_per_second);
  // Puts the disc in `drive` back into the slot it came from (or the first
  // empty one) after finalize/verify; returns the slot's address.
  Result<uint16_t> return_disc(const std::string& drive);
  void finishing(const std::string& drive, bool begun);
  // Records in the catalog the slot a part's disc went back to.
  void catalog_slot(const std::string& recording_id, uint32_t part, uint16_t slot);
  bool has_changer() const { return !spec_.changer_uri.empty(); }
  Status open_changer_locked() REQUIRES(changer_mutex_);
  Result<uint16_t> move_out_locked(const std::string& drive, const device::ChangerInventory& inventory)
      REQUIRES(changer_mutex_);
  // The changer's data transfer element of a pool drive.
  Result<const device::ChangerElement*> element_of(const std::string& drive,
                                                   const device::ChangerInventory& inventory) const;
  void announce_blanks_locked(const device::ChangerInventory& inventory, uint64_t rate_bytes_per_second)
      REQUIRES(changer_mutex_);

  void finish_recovered_part(const CatalogPart& part);

  const PoolSpec spec_;
  std::thread recovery_;  // recover_full_discs()
  std::atomic<bool> stopping_{false};
  Recorder& recorder_;
  const RecorderOptions& options_;
  const TsSourceFactory& sources_;
  EventBus& events_;
  Clock& clock_;
  mutable Mutex mutex_;
  std::map<std::string, std::unique_ptr<Pooled>> recordings_ GUARDED_BY(mutex_);
  uint32_t next_number_ GUARDED_BY(mutex_) = 1;

  Mutex changer_mutex_;
  std::unique_ptr<device::Changer> changer_ GUARDED_BY(changer_mutex_);
  // Slots whose disc was recorded (here or before: the catalog), or found
  // not blank: never loaded for a new part.
  std::set<uint16_t> used_slots_ GUARDED_BY(changer_mutex_);
  std::map<std::string, uint16_t> loaded_from_ GUARDED_BY(changer_mutex_);  // drive -> its disc's slot
  uint64_t disc_bytes_ GUARDED_BY(changer_mutex_) = 0;  // a blank's capacity, once one was loaded
  std::optional<size_t> announced_blanks_ GUARDED_BY(changer_mutex_);
  // Drives whose full disc is being finalized, verified and put back: not
  // to be unloaded meanwhile.
  std::set<std::string> finishing_ GUARDED_BY(changer_mutex_);
  bool slots_from_catalog_ GUARDED_BY(changer_mutex_) = false;
};

}  // namespace discrec::recorder
