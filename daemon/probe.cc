#include "daemon/probe.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "daemon/convert.h"
#include "daemon/drive_quirks_file.h"
#include "device/drive.h"
#include "device/mmc/types.h"
#include "recorder/core/prepare.h"

namespace discrec::daemon {
namespace {

const char* yes(bool b) { return b ? "yes" : "no"; }

const char* disc_status_name(device::DiscStatus s) {
  switch (s) {
    case device::DiscStatus::kBlank: return "blank";
    case device::DiscStatus::kAppendable: return "appendable";
    case device::DiscStatus::kComplete: return "complete (finalized)";
    case device::DiscStatus::kOther: return "other (random access)";
  }
  return "?";
}

void print_human(const device::DriveCapabilities& c, recorder::WriteMode policy) {
  std::printf("drive:        %s %s %s  (%s)\n", c.vendor.c_str(), c.product.c_str(), c.revision.c_str(), c.uri.c_str());
  std::printf("profiles:    ");
  for (const auto& p : c.profiles)
    std::printf(" %s%s", device::profile_name(p.number).c_str(), p.current ? "*" : "");
  std::printf("\nmedium:       %s\n", c.medium_present && c.current_profile
                                         ? device::profile_name(c.current_profile).c_str()
                                         : "none");
  if (c.disc)
    std::printf("disc:         %s, %s, %u session(s), last track %u\n", disc_status_name(c.disc->status),
                c.disc->erasable ? "erasable" : "write-once", c.disc->sessions, c.disc->last_track_in_last_session);
  if (c.next_writable_address)
    std::printf("writable:     next LBA %u, %u free blocks (%.2f GB)\n", *c.next_writable_address, c.free_blocks,
                c.free_blocks * 2048.0 / 1e9);
  const auto& rt = c.rt_streaming;
  std::printf("streaming:    feature 0x0107 present=%s current=%s version=%u SW=%s WSPD=%s MP2A=%s SCS=%s RBCB=%s\n",
              yes(rt.present), yes(rt.current), rt.version, yes(rt.stream_writing), yes(rt.write_speed_in_get_perf),
              yes(rt.write_speed_in_mp2a), yes(rt.set_cd_speed), yes(rt.read_buffer_capacity_block));
  auto capable = recorder::check_streaming_capable(c);
  std::printf("              %s\n", capable.ok() ? "streaming writes possible" : capable.error().message().c_str());
  auto chosen = recorder::choose_write_mode(policy, c);
  std::printf("write mode:   %s: %s\n", std::string(recorder::write_mode_name(policy)).c_str(),
              chosen.ok() ? chosen->reason.c_str() : ("refused: " + chosen.error().message()).c_str());
  std::printf("write speeds:");
  for (const auto& s : c.write_speeds)
    std::printf(" %.1fx (%u kB/s, to LBA %u)", c.one_x_bytes_per_second ? s.write_kbps * 1000.0 / c.one_x_bytes_per_second : 0.0,
                s.write_kbps, s.end_lba);
  std::printf("\nrandom write: %s, formattable: %s, defect management: %s\n", yes(c.random_writable),
              yes(c.formattable), yes(c.defect_management));
  std::printf("ECC unit:     %u blocks of %u bytes; drive buffer %u bytes\n", c.ecc_unit_blocks, c.block_size,
              c.buffer_size_bytes);
  for (const auto& q : c.quirks)
    std::printf("quirk:        %s: %s (%s)\n", q.to_string().c_str(), q.reason.c_str(), q.source.c_str());
  for (const auto& n : c.notes) std::printf("note:         %s\n", n.c_str());
}

}  // namespace

int run_probe(int argc, char** argv) {
  std::string uri;
  std::string quirks_file;
  bool json = false;
  recorder::WriteMode policy = recorder::WriteMode::kStreamingPreferred;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") json = true;
    else if (a == "--write-mode" && i + 1 < argc) {
      auto parsed = recorder::parse_write_mode(argv[++i]);
      if (!parsed.ok()) {
        std::fprintf(stderr, "discrecd probe: %s\n", parsed.error().message().c_str());
        return 2;
      }
      policy = *parsed;
    }
    else if (a == "--quirks" && i + 1 < argc) quirks_file = argv[++i];
    else if (uri.empty() && a.rfind("--", 0) != 0) uri = a;
    else {
      std::fprintf(stderr, "discrecd probe: unexpected argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (uri.empty()) {
    std::fprintf(stderr, "usage: discrecd probe <URI> [--json] [--quirks FILE] [--write-mode MODE]\n  URI: sg:///dev/sr0, "
                         "iscsi://host:3260/<iqn>/<lun>, sim:///path/disc.img?profile=bd-re\n"
                         "  --quirks: a drive quirks table instead of the shipped one (as [daemon] drive_quirks)\n"
                         "  --write-mode: streaming-preferred (default), streaming-required or plain (as a drive's "
                         "write_mode)\n");
    return 2;
  }
  // The table the daemon would use, so that probe shows what serve applies.
  auto quirks = load_drive_quirks(quirks_file);
  if (!quirks.ok()) {
    std::fprintf(stderr, "discrecd probe: bad drive quirks: %s\n", quirks.error().to_string().c_str());
    return 2;
  }
  if (!quirks->warning.empty()) std::fprintf(stderr, "discrecd probe: %s\n", quirks->warning.c_str());
  auto drive = device::Drive::open(uri);
  if (!drive.ok()) {
    std::fprintf(stderr, "discrecd probe: cannot open %s: %s\n", uri.c_str(), drive.error().to_string().c_str());
    return 1;
  }
  (*drive)->set_quirk_table(quirks->table);
  auto caps = (*drive)->probe();
  if (!caps.ok()) {
    std::fprintf(stderr, "discrecd probe: %s: %s\n", uri.c_str(), caps.error().to_string().c_str());
    return 1;
  }
  caps->uri = uri;
  if (json) {
    // The same shape as the API's Drive message, so scripts parse one format.
    recorder::DriveInfo info;
    info.id = "probe";
    info.uri = uri;
    info.capabilities = *caps;
    info.write_mode.policy = policy;
    auto chosen = recorder::choose_write_mode(policy, *caps);
    if (chosen.ok()) info.write_mode.choice = *chosen;
    else info.not_ready_reason = chosen.error().message();
    v1::Drive message;
    to_proto(info, &message);
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(message, &text, options);
    std::cout << text;
  } else {
    print_human(*caps, policy);
  }
  return 0;
}

}  // namespace discrec::daemon
