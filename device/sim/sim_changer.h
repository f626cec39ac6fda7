// SimChanger: the emulated SCSI medium changer (SMC-3, peripheral device
// type 8) behind sim-changer:// URIs. It answers raw CDBs for the library
// in one directory (Library): READ ELEMENT STATUS, MOVE MEDIUM, MODE SENSE
// page 1Dh, ... (README.md). Moving a disc into or out of a drive of the
// same library that is open in this process swaps the disc in that live
// SimDrive. Written independently of device/smc/: its own byte handling,
// so the changer code is tested against an implementation it does not
// share.
//
// Thread-safety: thread-safe. execute() is meant for one thread at a time
// (like every Transport); the operator calls (import_blank_disc, take_out)
// and snapshot() may come from any thread. An internal mutex guards the
// state and is never held while a command sleeps on the clock.
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
#include "device/sim/changer_options.h"
#include "device/transport.h"

namespace discrec::device::sim {

class Library;

class SimChanger final : public Transport {
 public:
  // A sim-changer:// URI without drive=. Errors: kInvalidArgument (URI),
  // kFailedPrecondition (URI contradicts library.state), kUnavailable (the
  // library's changer is open already, here or in another process), kIo.
  static Result<std::unique_ptr<SimChanger>> open(std::string_view uri, const TransportOptions& options = {});
  ~SimChanger() override;

  Result<CommandResult> execute(const CommandRequest& request) override;
  std::string describe() const override { return uri_; }

  // --- the operator at the import/export door (6/28/01 follows) ---
  // Puts a new blank disc (the library's profile and size) into
  // import/export element `address` (0 = the first empty one); returns its
  // volume tag. Errors: kFailedPrecondition (door locked by PREVENT ALLOW
  // MEDIUM REMOVAL, no such or no empty element), kIo.
  Result<std::string> import_blank_disc(uint16_t address = 0);
  // Takes the disc out of import/export element `address`; returns the path
  // of its image (the file stays: it is the recorded disc). Errors:
  // kFailedPrecondition (door locked, not an import/export element, empty).
  Result<std::string> take_out(uint16_t address);

  // --- observation, for tests ---
  struct Snapshot {
    uint64_t commands = 0;
    uint64_t moves = 0;            // MOVE MEDIUM commands that moved a disc
    bool door_locked = false;      // PREVENT ALLOW MEDIUM REMOVAL
    TimePoint transport_free_at{}; // when the picker finishes its last move
  };
  Snapshot snapshot();
  Library& library() { return *library_; }

 private:
  struct Command;
  SimChanger() = default;
  void run(Command& c);
  void cmd_inquiry(Command& c);
  void cmd_request_sense(Command& c);
  void cmd_mode_sense(Command& c, bool ten);
  void cmd_read_element_status(Command& c);
  void cmd_move_medium(Command& c);
  void cmd_initialize_element_status(Command& c);
  void cmd_prevent_allow(Command& c);
  std::vector<uint8_t> mode_page(uint8_t code, uint8_t pc) const;

  std::string uri_;
  SimChangerOptions options_;
  Clock* clock_ = nullptr;
  std::shared_ptr<Library> library_;

  std::mutex mutex_;
  // Everything below is GUARDED_BY(mutex_).
  std::optional<SenseCode> unit_attention_;
  bool prevent_removal_ = false;
  TimePoint transport_free_at_{};
  uint64_t commands_ = 0;
  uint64_t moves_ = 0;
};

}  // namespace discrec::device::sim
