// Drive: typed MMC operations over one Transport.
//
// Every method builds a CDB with the pure functions in device/mmc/, executes
// it, turns CHECK CONDITION into an Error carrying the command name and sense
// (key/ASC/ASCQ with readable names), and parses the response. It never logs.
//
// Thread-safety: thread-safe. Commands are serialised by an internal mutex
// (a SCSI device executes one command at a time from our side). The writer
// thread is normally the only heavy user; control-path callers (probe, event
// polling) take the same lock briefly between writes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "device/drive_quirks.h"
#include "device/mmc/types.h"
#include "base/result.h"
#include "device/transport.h"

namespace discrec::device {

// Everything a recorder needs to know about a drive and its loaded medium,
// gathered by Drive::probe().
struct DriveCapabilities {
  std::string uri;
  std::string vendor;
  std::string product;
  std::string revision;
  uint8_t peripheral_device_type = 0;  // 0x05 for MMC devices

  uint16_t current_profile = 0;                // 0 = no medium
  std::vector<ProfileDescriptor> profiles;     // all profiles the drive supports
  RealTimeStreamingFeature rt_streaming;       // feature 0x0107
  bool random_writable = false;                // feature 0x0020 current (DVD-RAM, BD-RE, formatted)
  bool formattable = false;                    // feature 0x0023 present
  bool defect_management = false;              // feature 0x0024 current

  std::vector<WriteSpeedDescriptor> write_speeds;  // GET PERFORMANCE type 0x03

  bool medium_present = false;
  bool ready = false;                          // TEST UNIT READY answered GOOD
  std::vector<PerformanceDescriptor> write_performance;  // GET PERFORMANCE type 0x00, write
  // What the probe could not learn, truthfully: "READ BUFFER CAPACITY:
  // unsupported: ILLEGAL REQUEST 5/20/00 ...". Empty when everything answered.
  // A quirk that changed what the drive reported says so here too.
  std::vector<std::string> notes;
  // The drive quirks (drive_quirks.h) the Drive applies to this drive, with
  // their reasons, so that every layer above can show them.
  std::vector<DriveQuirk> quirks;
  std::optional<DiscInformation> disc;         // READ DISC INFORMATION
  std::optional<TrackInformation> track;       // the track writing continues in
  std::optional<uint32_t> next_writable_address;
  uint32_t free_blocks = 0;
  uint32_t buffer_size_bytes = 0;              // READ BUFFER CAPACITY

  uint32_t block_size = 2048;
  // Sectors per ECC unit: 16 on DVD (32 KiB), 32 on BD (64 KiB). Writes are
  // whole units.
  uint32_t ecc_unit_blocks = 16;

  // What the data written at 1x means for this medium, bytes/s
  // (DVD 1,385,000; BD 4,495,625).
  uint64_t one_x_bytes_per_second = 1385000;

  // Streaming writes are possible: 0x0107 current and SW=1.
  bool can_stream_write() const { return rt_streaming.current && rt_streaming.stream_writing; }

  // The medium questions a recorder asks, answered here so that it needs no
  // MMC profile table of its own.
  // A medium is loaded and the drive names its profile.
  bool has_medium() const { return medium_present && current_profile != profile::kNone; }
  // Write-once, written in order at the next writable address (DVD±R, BD-R
  // SRM): tracks are reserved, and closed at finalize.
  bool sequential() const { return profile_is_sequential(current_profile); }
  bool is_bd() const { return profile_is_bd(current_profile); }
  // "BD-RE", "DVD+R", ... ("none" without a medium).
  std::string medium_name() const { return profile_name(current_profile); }
  // How a file system is laid on this medium (see RecordingMode).
  RecordingMode recording_mode() const { return profile_recording_mode(current_profile); }
  // FORMAT UNIT can prepare this medium for recording: a rewritable disc in a
  // drive with the Formattable feature (BD-RE, DVD-RAM, DVD+RW).
  bool can_format() const { return formattable && !sequential(); }
  // READ DISC INFORMATION's disc status, as the probe read it: finalized
  // (no more writes), or appendable (written, not finalized). False when the
  // probe could not read it.
  bool disc_complete() const { return disc && disc->status == DiscStatus::kComplete; }
  bool disc_appendable() const { return disc && disc->status == DiscStatus::kAppendable; }
};

// FORMAT UNIT's descriptor that prepares a rewritable medium of `profile`
// for recording (MMC.md §10.1): DVD+RW 26h (full size, background format);
// BD-RE 30h with spare areas or 31h without (quick, no defect management),
// 30h all the same when READ FORMAT CAPACITIES lists 30h but no 31h;
// DVD-RAM 00h. The size, and for every type but 31h the type parameter, are
// those of the first descriptor of that type READ FORMAT CAPACITIES lists;
// if it lists none, DVD+RW asks for the whole disc (FFFFFFFFh) and the others
// for the current capacity. DVD-RAM has one type for both sizes: its first
// descriptor (the drive's default) is taken whatever `spare_areas` says.
// Pure.
FormatDescriptor recording_format(uint16_t profile, const FormatCapacities& capacities, bool spare_areas);

// Where the sessions of a sequential disc are (Drive::read_sessions).
struct SessionInfo {
  DiscStatus status = DiscStatus::kBlank;
  // Sessions closed so far (an empty or incomplete last session not counted).
  uint16_t closed_sessions = 0;
  // First LBA of the last closed session: its first track's start. The UDF
  // volume readers should use is there (anchor at +256). 0 without one.
  uint32_t last_closed_session_start = 0;
  // The invisible track a new session goes into, when the disc is appendable
  // (or blank): its start (the new session's first LBA), next writable
  // address and free blocks. Unset on a complete disc.
  std::optional<uint32_t> next_session_start;
  std::optional<uint32_t> next_writable_address;
  uint32_t free_blocks = 0;
  // An open session holds data or reserved tracks (it was not closed).
  bool open_session_in_use = false;
};

// Close functions for CLOSE TRACK/SESSION (MMC.md §8.5).
enum class CloseFunction : uint8_t {
  kStopBackgroundFormat = 0b000,
  kCloseTrack = 0b001,
  kCloseSession = 0b010,
  kFinalizeDvdPlusR = 0b101,
  kFinalizeBdR = 0b110,
};

// What a failed command says about the drive, for a caller that must choose
// between waiting for the drive and giving the command's data up (MMC.md
// §1.4). Pure; the caller decides what to do and says so.
enum class CommandFailure {
  // The drive's state refused or dropped the command, not the medium: NOT
  // READY 2/04/xx while it becomes ready or is busy (not 04/02 "initializing
  // command required", not 04/03 "manual intervention"), a UNIT ATTENTION
  // (6/xx: power on, reset, medium may have changed), BUSY status, or the
  // transport or connection dropped the command. The command may not have
  // run: ask the drive where it is once it is ready again.
  kTransientState,
  // No medium (2/3A/xx): the disc is gone; what comes back may be another.
  kMediumAbsent,
  // MEDIUM ERROR (3/xx) or HARDWARE ERROR (4/xx): the blocks are bad.
  kMedium,
  // Anything else (ILLEGAL REQUEST, a timeout, ...).
  kOther,
};
CommandFailure classify_failure(const Error& error);

class Drive {
 public:
  explicit Drive(std::unique_ptr<Transport> transport);
  ~Drive();
  Drive(const Drive&) = delete;
  Drive& operator=(const Drive&) = delete;

  // Opens the transport named by `uri` and wraps it.
  static Result<std::unique_ptr<Drive>> open(std::string_view uri,
                                             const TransportOptions& options = {});

  std::string describe() const;

  // The quirk table probe() looks this drive up in (by its INQUIRY strings);
  // what it finds applies from then on, invisibly to callers, and is listed
  // in DriveCapabilities::quirks. Without a table (or before the first
  // probe) no quirk applies. Set it before probe(), from whoever opens the
  // drive.
  void set_quirk_table(std::shared_ptr<const QuirkTable> table);
  // The quirks the last probe() found.
  DriveQuirks quirks() const;
  // How many streaming WRITE(12)s streaming-min-write sent without the
  // Streaming bit.
  uint64_t streaming_writes_demoted() const { return streaming_writes_demoted_.load(std::memory_order_relaxed); }

  // --- identification and state ---
  Status test_unit_ready();
  Result<SenseData> request_sense();
  Result<InquiryData> inquiry();
  // RT=00b from feature 0 (whole list), re-issued with the announced length.
  Result<Configuration> get_configuration();
  Result<DiscInformation> read_disc_information();
  // `track` 0xFF = the invisible/incomplete track; see MMC.md §8.3.
  Result<TrackInformation> read_track_information(uint32_t number,
                                                  TrackAddressType type = TrackAddressType::kTrackNumber);
  Result<BufferCapacity> read_buffer_capacity(bool in_blocks = false);
  Result<ReadCapacity> read_capacity();
  Result<FormatCapacities> read_format_capacities();
  Result<EventStatus> get_event_status(uint8_t class_request = 0x10 /* media */);

  // One value with everything above. Fails only if the device does not
  // answer INQUIRY/GET CONFIGURATION; a missing medium is reported in the
  // capabilities, not as an error.
  Result<DriveCapabilities> probe();

  // --- speed and calibration ---
  Result<std::vector<WriteSpeedDescriptor>> get_write_speeds();       // GET PERFORMANCE type 0x03
  Result<std::vector<PerformanceDescriptor>> get_performance(bool write);  // type 0x00, nominal
  Status set_streaming(const StreamingPerformance& performance);     // SET STREAMING
  Status set_cd_speed(uint16_t read_kbps, uint16_t write_kbps);      // SET CD SPEED
  // SET STREAMING with the nearest write speed, falling back to SET CD SPEED;
  // then reads GET PERFORMANCE type 0x00 (write) and returns the speed that
  // took effect in kB/s (1000 B/s).
  Result<uint32_t> set_write_speed(uint32_t write_kbps, uint32_t end_lba);
  // SEND OPC INFORMATION DoOpc=1. 5/20/00 (unsupported) is kUnsupported;
  // ASC 0x73 is a kCheckCondition error the caller must treat as fatal.
  // Quirk no-opc: kUnsupported without sending anything.
  Status send_opc();

  // --- writing ---
  // WRITE(12); `streaming` sets byte 10 bit 7. data.size() must be a whole
  // number of blocks. Quirk streaming-min-write: a streaming write shorter
  // than its value goes without the Streaming bit (counted in
  // streaming_writes_demoted()).
  Status write12(uint32_t lba, std::span<const uint8_t> data, bool streaming,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Status read12(uint32_t lba, std::span<uint8_t> data, bool streaming,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Status synchronize_cache(bool immed = false);
  Status reserve_track(uint32_t blocks);
  Status close_track_session(CloseFunction function, uint16_t number, bool immed = false);
  Status format_unit(const FormatDescriptor& descriptor, bool immed = false);
  Result<ModePage05> mode_sense_write_parameters();
  Status mode_select_write_parameters(const ModePage05& page);

  // --- recording rules ---
  // What a recorder does to a medium, as MMC wants it done for that medium.
  // Each is a short sequence of the commands above (not atomic: the caller
  // owns the drive while it runs). `caps` is the probe of the loaded medium.

  // The rewritable medium must be formatted before it can be written: the
  // drive can format it (caps.can_format()) and READ FORMAT CAPACITIES'
  // current descriptor says unformatted (type 01b). False without asking the
  // drive for write-once or unformattable media; READ FORMAT CAPACITIES'
  // error otherwise.
  Result<bool> needs_format(const DriveCapabilities& caps);
  // Reads READ FORMAT CAPACITIES and formats with recording_format() (no
  // Immed: returns when the format is done). Returns the descriptor used.
  // kFailedPrecondition when !caps.can_format(), without a command.
  Result<FormatDescriptor> format_for_recording(const DriveCapabilities& caps, bool spare_areas);
  // RESERVE TRACK of `blocks` (the track ends before LBA `blocks` on a blank
  // disc): true when reserved, false when the drive has no RESERVE TRACK
  // (5/20/xx, e.g. tgt) — writing there then depends on the drive taking
  // writes at that address. Other failures are errors.
  Result<bool> reserve_track_if_supported(uint32_t blocks);
  // The next writable address of the track holding `lba` (READ TRACK
  // INFORMATION by LBA); nullopt when the drive says it is not valid (the
  // track is complete, or the medium is not written in order). Quirk
  // nwa-not-reported: kUnsupported without asking; not nullopt, which
  // callers take for "the track is complete".
  Result<std::optional<uint32_t>> next_writable_address_at(uint32_t lba);
  // Closes a sequential medium after its file system is written: unless READ
  // DISC INFORMATION already says complete, CLOSE TRACK for tracks 1 to the
  // last track of the last session, then CLOSE SESSION, or with `close_disc`
  // finalize (BD 110b, DVD+R 101b; DVD-R/-RW: CLOSE SESSION after MODE SELECT
  // page 05 Multi-session 00b, or 11b to stay appendable). ILLEGAL REQUEST (key 5) from any of
  // them is tolerated: a track or session the drive already closed (tgt
  // closes everything on the first CLOSE) answers so. Does nothing on
  // random-access media (!caps.sequential()).
  Status close_for_finalize(const DriveCapabilities& caps, bool close_disc);
  // Multisession: where the last closed session starts and where the next
  // one would (READ DISC INFORMATION, then READ TRACK INFORMATION for the
  // first track of the last closed session, by session number, and for the
  // invisible track 0xFF). kFailedPrecondition on random-access media.
  // A drive that answers 0xFF with an error (tgt) leaves next_* unset.
  Result<SessionInfo> read_sessions(const DriveCapabilities& caps);

  // Polls TEST UNIT READY until GOOD while the drive reports a transient
  // state: not ready with ASC 04h except 04/02 and 04/03 (becoming ready,
  // format / operation / long write in progress), or a UNIT ATTENTION.
  // Sleeps `interval` on `clock` between polls and gives up with kTimeout
  // after `budget`. Any other answer (no medium, hardware error) returns at
  // once. Use after commands issued with Immed=1 (SYNCHRONIZE CACHE, CLOSE
  // TRACK/SESSION, FORMAT UNIT).
  Status wait_until_ready(Clock& clock, std::chrono::milliseconds budget,
                          std::chrono::milliseconds interval = std::chrono::milliseconds(500));

  // --- mechanism ---
  Status start_stop_unit(bool load_eject, bool start, bool immed = false);
  Status prevent_allow_medium_removal(bool prevent);

  // Executes a prepared command (CDB + buffer) and turns CHECK CONDITION into
  // an Error named after `command_name`. For commands without a typed method.
  Result<size_t> execute(const char* command_name, const CommandRequest& request);

 private:
  // Executes under mutex_; CHECK CONDITION and other non-GOOD statuses
  // become Errors. Returns the bytes transferred.
  Result<size_t> run(const char* command_name, const CommandRequest& request);
  // REQUIRES: mutex_ held.
  Result<size_t> run_locked(const char* command_name, const CommandRequest& request);
  // read_sessions(): where session `session`'s first track starts.
  Result<uint32_t> first_track_start(const DiscInformation& disc, uint16_t session, bool last_is_session);
  // Looks the drive up in quirk_table_ and keeps what applies.
  DriveQuirks look_up_quirks(const InquiryData& id);
  // The kUnsupported error for a command the quirk `kind` says not to send,
  // if that quirk applies.
  std::optional<Error> skipped_by_quirk(QuirkKind kind, const char* command_name) const;

  mutable std::mutex mutex_;
  std::unique_ptr<Transport> transport_;  // GUARDED_BY(mutex_)
  std::shared_ptr<const QuirkTable> quirk_table_;  // GUARDED_BY(mutex_)
  DriveQuirks quirks_;                             // GUARDED_BY(mutex_)
  uint32_t streaming_min_write_bytes_ = 0;         // GUARDED_BY(mutex_); from quirks_
  std::atomic<uint64_t> streaming_writes_demoted_{0};
};

}  // namespace discrec::device
