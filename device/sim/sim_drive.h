// SimDrive: the emulated MMC drive behind sim:// URIs. It parses CDBs and
// answers like a BD/DVD writer with the medium of the URI's profile loaded
// (README.md lists the commands, media rules, timing model and faults).
// Tests reach it directly to inject faults while the Drive code above it
// sees only a Transport.
//
// Thread-safety: thread-safe. execute() is meant for one thread at a time
// (like every Transport), but inject()/remove_medium()/snapshot() may be
// called from any thread meanwhile; an internal mutex guards the state and
// is never held while a command sleeps on the clock.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "device/sim/disc.h"
#include "device/sim/faults.h"
#include "device/sim/sim_options.h"
#include "device/sim/timing.h"
#include "device/transport.h"

namespace discrec::device::sim {

class Library;

class SimDrive final : public Transport {
 public:
  // A sim:// URI, or a sim-changer:// URI with drive=N (a drive inside an
  // emulated library, holding the disc the library put there).
  // Errors: kInvalidArgument (URI, fault script), kIo, kUnavailable (image
  // or library drive in use), kFailedPrecondition (URI contradicts the
  // stored disc or library).
  static Result<std::unique_ptr<SimDrive>> open(std::string_view uri, const TransportOptions& options = {});
  ~SimDrive() override;

  Result<CommandResult> execute(const CommandRequest& request) override;
  std::string describe() const override { return uri_; }

  // --- fault injection (FaultSpec::at counts from open) ---
  void inject(const FaultSpec& fault);
  Status inject_script(std::string_view text);
  void clear_faults();
  // The user pulls the disc out / pushes it back in (6/28/00 follows).
  void remove_medium();
  void insert_medium();
  // A simulated crash: from now on nothing is persisted (not even by the
  // destructor), as if the process died here.
  void abandon();

  // --- the changer's side of a library drive (Library::move calls these) ---
  // Puts the disc `image_path` (an existing image and state) into the empty
  // tray, arriving at `arrives_at` (now if unset or past): until then the
  // drive has no medium, from then its host sees 6/28/00, as after a load on
  // hardware. The drive keeps its own parameters (speed, timing, ...); the
  // disc brings its own. Errors: kFailedPrecondition (the tray holds a
  // disc), those of opening the image (kUnavailable when another drive
  // holds it).
  Status load_disc(const std::string& image_path, std::optional<TimePoint> arrives_at = std::nullopt);
  // Takes the disc out of the tray (its state saved, its image released).
  // Returns when the drive had written its buffer and let it go. An empty
  // tray is not an error. Errors: kFailedPrecondition while PREVENT ALLOW
  // MEDIUM REMOVAL locks the disc in.
  Result<TimePoint> unload_disc();
  // True when no disc is in the drive (not merely ejected or pulled).
  bool tray_empty();

  // --- observation, for tests ---
  struct Snapshot {
    uint16_t profile = 0;            // 0 when no medium
    bool medium_present = false;
    uint32_t write_speed_kbps = 0;   // the speed that took effect
    bool calibrated = false;         // OPC done for the current speed
    uint64_t buffer_fill_bytes = 0;
    TimePoint media_idle_at{};       // when the buffered data is on the media
    uint32_t next_writable_address = 0;  // of the last open track (sequential media)
    uint64_t commands = 0;
    uint64_t bytes_written = 0;
    // WRITE(10)/(12) commands the drive took with and without the
    // Streaming bit.
    uint64_t streaming_writes = 0;
    uint64_t plain_writes = 0;
  };
  Snapshot snapshot();
  TimePoint opened_at() const { return opened_at_; }
  Clock& clock() { return *clock_; }

 private:
  struct ActiveFault {
    FaultSpec spec;
    uint32_t fired = 0;
  };
  // One command being executed: its request, the answer and when it completes.
  struct Command {
    const CommandRequest& request;
    std::span<const uint8_t> cdb;
    TimePoint now;
    TimePoint complete_at;
    bool hang = false;
    // A reset: the host gets a transport error, not `result`. The command
    // ran first when `run_before_reset`; the drive then becomes ready again
    // at `ready_at`.
    bool dropped = false;
    bool run_before_reset = false;
    TimePoint ready_at{};
    CommandResult result;
    std::optional<Error> error;  // a failure of the emulator itself (image I/O)
    void fail(SenseCode code, std::optional<uint32_t> information = std::nullopt,
              std::optional<uint16_t> progress = std::nullopt);
    // Data-in: sends min(bytes, allocation length, buffer) and sets the residual.
    void respond(const std::vector<uint8_t>& bytes, size_t allocation_length);
    std::span<const uint8_t> data_out() const;
  };

  SimDrive() = default;
  friend class Library;
  // Both open() paths end here: `disc` may be Disc::empty_tray().
  static std::unique_ptr<SimDrive> create(std::string_view uri, const SimOptions& options, std::unique_ptr<Disc> disc,
                                          std::vector<FaultSpec> script, const TransportOptions& transport);
  // A new disc in the drive: speed, calibration, timing and page 05h start
  // over for it.
  void adopt_disc(std::unique_ptr<Disc> disc);

  // sim_drive.cc: dispatch, gating, faults, mechanism.
  void run(Command& c);
  bool gate(Command& c, uint8_t op);
  void apply_faults(Command& c, uint8_t op);
  bool fault_matches(const ActiveFault& f, const Command& c, uint8_t op) const;
  bool fire(ActiveFault& f);
  void do_remove(TimePoint at);
  void do_insert();
  void cmd_test_unit_ready(Command& c);
  void cmd_request_sense(Command& c);
  void cmd_start_stop(Command& c);
  void cmd_prevent_allow(Command& c);
  void cmd_event_status(Command& c);
  bool opc_fails(TimePoint now);
  // sim_info.cc: identification and state reports.
  void cmd_inquiry(Command& c);
  void cmd_get_configuration(Command& c);
  void cmd_get_performance(Command& c);
  void cmd_mode_sense(Command& c);
  void cmd_mode_select(Command& c);
  void cmd_read_disc_information(Command& c);
  void cmd_read_track_information(Command& c);
  void cmd_read_buffer_capacity(Command& c);
  void cmd_read_capacity(Command& c);
  void cmd_read_format_capacities(Command& c);
  std::vector<std::vector<uint8_t>> features() const;
  std::vector<uint8_t> page_05() const;
  std::vector<uint8_t> page_2a() const;
  // sim_media.cc: recording.
  void cmd_read(Command& c, uint32_t lba, uint32_t blocks, bool streaming);
  void cmd_write(Command& c, uint32_t lba, uint32_t blocks, bool streaming);
  void cmd_synchronize_cache(Command& c);
  void cmd_reserve_track(Command& c);
  void cmd_close_track_session(Command& c);
  void cmd_format_unit(Command& c);
  void cmd_send_opc(Command& c);
  void cmd_set_streaming(Command& c);
  void cmd_set_cd_speed(Command& c);
  void set_write_speed(uint16_t x10);
  void make_busy(Command& c, TimePoint until, SenseCode code);

  const MediaProfile& media() const { return disc_->media(); }
  uint64_t write_rate() const { return speed_bytes_per_second(media(), write_speed_x10_); }
  uint64_t read_rate() const { return speed_bytes_per_second(media(), media().read_speed_x10); }

  std::string uri_;
  SimOptions options_;
  std::string serial_;  // VPD page 80h and feature 0108h
  // Set for a drive inside an emulated library (sim-changer://?drive=N).
  std::shared_ptr<Library> library_;
  uint16_t library_drive_ = 0;
  Clock* clock_ = nullptr;
  TimePoint opened_at_{};

  std::mutex mutex_;
  // Everything below is GUARDED_BY(mutex_).
  std::unique_ptr<Disc> disc_;
  std::unique_ptr<TimingModel> timing_;
  bool medium_present_ = true;
  bool prevent_removal_ = false;
  std::optional<SenseCode> unit_attention_;  // reported once, by the next command that can
  uint8_t media_event_ = 0;  // GESN media event not yet reported
  std::optional<TimePoint> reinsert_at_;
  TimePoint not_ready_until_{};
  uint8_t not_ready_ascq_ = 0x01;
  TimePoint busy_since_{};
  TimePoint busy_until_{};
  SenseCode busy_sense_{};
  uint16_t write_speed_x10_ = 0;
  bool calibrated_ = false;
  std::vector<uint8_t> page05_;
  std::vector<ActiveFault> faults_;
  bool abandoned_ = false;
  uint64_t commands_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t streaming_writes_ = 0;
  uint64_t plain_writes_ = 0;
};

}  // namespace discrec::device::sim
