// The library behind sim-changer:// URIs: a directory of emulated discs and
// the record of which element holds which of them. The changer (SimChanger)
// and the library's drives (SimDrives opened with drive=N) of one directory
// share one Library per process, found through a process-wide registry
// keyed by the canonical directory; a MOVE MEDIUM into or out of a drive
// open in this process swaps the disc in that live SimDrive.
//
// On disk: "<TAG>.img" (+ its .state) per disc, named by its volume tag
// (DISC01, ...: the file names the disc, wherever it is), and
// "library.state" (atomic replace) with the shape and each disc's element,
// so the library survives restarts and crashes. "library.lock" is held by
// the changer (one changer per library), "drive-NN.lock" by an open drive.
//
// Element addresses: medium transport 0x0001; import/export from 0x0010;
// data transfer from 0x0100; storage from 0x1000 (README.md).
//
// Thread-safety: thread-safe; an internal mutex guards the elements and the
// open drives. Lock order: SimChanger's mutex, then this one, then a
// SimDrive's; a SimDrive never calls in here while holding its own.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "device/sim/changer_options.h"
#include "device/sim/image_file.h"
#include "device/sim/sense.h"
#include "device/transport.h"

namespace discrec::device::sim {

class SimDrive;

enum class ElementType : uint8_t { kTransport = 1, kStorage = 2, kImportExport = 3, kDataTransfer = 4 };

inline constexpr uint16_t kTransportAddress = 0x0001;
inline constexpr uint16_t kFirstImportExportAddress = 0x0010;
inline constexpr uint16_t kFirstDriveAddress = 0x0100;
inline constexpr uint16_t kFirstSlotAddress = 0x1000;

// One element as READ ELEMENT STATUS reports it.
struct ElementStatus {
  uint16_t address = 0;
  ElementType type = ElementType::kStorage;
  bool full = false;
  std::string volume_tag;   // the disc's barcode, empty when empty
  uint16_t source = 0;      // 0 = not known (SValid 0)
  bool imported = false;    // import/export: put there by the operator (ImpExp)
  std::optional<SenseCode> exception;  // Except, with its ASC/ASCQ (a fault)
};

class Library : public std::enable_shared_from_this<Library> {
 public:
  // Opens (creating the directory, its discs and library.state if needed)
  // the library in `directory`, or returns the one this process already has
  // open. Errors: kInvalidArgument, kFailedPrecondition (`shape`
  // contradicts library.state), kIo.
  static Result<std::shared_ptr<Library>> attach(const std::string& directory, const LibraryShape& shape);
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const std::string& directory() const { return directory_; }
  uint16_t slots() const { return slots_; }
  uint16_t drives() const { return drives_; }
  uint16_t import_export() const { return import_export_; }
  const MediaProfile& media() const { return *media_; }
  std::optional<ElementType> type_of(uint16_t address) const;
  // Every element, ascending address.
  std::vector<ElementStatus> elements() const;
  std::string image_path(const std::string& volume_tag) const { return directory_ + "/" + volume_tag + ".img"; }
  // The serial number of drive N (its VPD page 80h; READ ELEMENT STATUS
  // with DVCID): stable whatever disc it holds.
  std::string drive_serial(uint16_t drive) const;

  // The changer: one per library (library.lock). Errors: kUnavailable.
  Status attach_changer();
  void detach_changer();

  // Moves the disc at `from` to `to`, through a live drive where one is
  // open. The picker starts when it is free (`picker_free`) and the source
  // drive has let go of the disc (its buffer written), and takes `duration`;
  // `done` is when the disc is at `to` (a live destination drive sees it
  // then). Returns the sense code of a refusal (`done` = `now`), or
  // nullopt. Errors (emulator failures): kIo.
  Result<Check> move(uint16_t from, uint16_t to, TimePoint now, TimePoint picker_free, Nanos duration,
                     TimePoint* done);
  // The operator: a new blank disc into import/export element `address`
  // (0 = the first empty one); returns its volume tag. Errors:
  // kFailedPrecondition (no such or no empty element), kIo.
  Result<std::string> import_blank(uint16_t address);
  // The operator takes the disc out of import/export element `address`;
  // returns its image path (the file stays). Errors: kFailedPrecondition.
  Result<std::string> take_out(uint16_t address);
  // A fault: element `address` is in an abnormal state (Except, with `why`'s
  // ASC/ASCQ; Access cleared), and the picker cannot reach it (4/15/01)
  // until cleared with nullopt. Not persisted. Errors: kInvalidArgument.
  Status set_exception(uint16_t address, std::optional<SenseCode> why);

  // Library drives (SimDrive::open for drive=N): opens drive N with the disc
  // the library says it holds and binds it for live moves. Errors:
  // kInvalidArgument (no such drive), kUnavailable (open already), kIo.
  Result<std::unique_ptr<SimDrive>> open_drive(uint16_t drive, const std::string& uri, const SimOptions& options,
                                               const TransportOptions& transport_options);
  void detach_drive(uint16_t drive, SimDrive* sim);

 private:
  // Where one disc is.
  struct Placement {
    std::string tag;
    uint16_t at = 0;
    uint16_t source = 0;
    bool imported = false;
  };
  struct OpenDrive {
    SimDrive* sim = nullptr;
    std::unique_ptr<ImageFile> lock;
  };
  explicit Library(std::string directory) : directory_(std::move(directory)) {}
  Status create(const LibraryShape& shape);
  Status load();
  Status save();
  Status check_shape(const LibraryShape& shape) const;
  Status create_blank_disc(const std::string& tag);
  SimOptions disc_options(const std::string& tag, const SimOptions& base) const;
  Placement* disc_at(uint16_t address);
  uint16_t drive_number(uint16_t address) const { return static_cast<uint16_t>(address - kFirstDriveAddress + 1); }
  std::string next_tag();

  const std::string directory_;
  std::string state_path_;
  // The shape, fixed once loaded.
  uint16_t slots_ = 0;
  uint16_t drives_ = 0;
  uint16_t import_export_ = 0;
  const MediaProfile* media_ = nullptr;
  std::optional<uint32_t> blocks_;
  Preformat preformat_ = Preformat::kNone;

  mutable std::mutex mutex_;
  // Everything below is GUARDED_BY(mutex_).
  std::vector<Placement> discs_;
  uint32_t next_disc_ = 1;
  std::unique_ptr<ImageFile> changer_lock_;
  std::map<uint16_t, OpenDrive> open_drives_;
  std::map<uint16_t, SenseCode> exceptions_;
};

}  // namespace discrec::device::sim
