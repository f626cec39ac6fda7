#include "daemon/convert.h"

#include <google/protobuf/util/time_util.h>

#include "daemon/names.h"
#include "device/mmc/types.h"

namespace discrec::daemon {
namespace {

using google::protobuf::util::TimeUtil;

void set_duration(Nanos d, google::protobuf::Duration* out) { *out = TimeUtil::NanosecondsToDuration(d.count()); }

void set_time(recorder::WallTime t, google::protobuf::Timestamp* out) {
  *out = TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

v1::DiscStatus disc_status(const device::DriveCapabilities& caps) {
  if (!caps.medium_present || caps.current_profile == 0) return v1::DISC_STATUS_NO_MEDIUM;
  if (!caps.disc) return v1::DISC_STATUS_UNSPECIFIED;
  switch (caps.disc->status) {
    case device::DiscStatus::kBlank: return v1::DISC_STATUS_BLANK;
    case device::DiscStatus::kAppendable: return v1::DISC_STATUS_APPENDABLE;
    case device::DiscStatus::kComplete: return v1::DISC_STATUS_COMPLETE;
    case device::DiscStatus::kOther: return v1::DISC_STATUS_OTHER;
  }
  return v1::DISC_STATUS_UNSPECIFIED;
}

v1::RecordingState state(recorder::RecordingState s) {
  switch (s) {
    case recorder::RecordingState::kStarting: return v1::RECORDING_STATE_STARTING;
    case recorder::RecordingState::kRecording: return v1::RECORDING_STATE_RECORDING;
    case recorder::RecordingState::kStopping: return v1::RECORDING_STATE_STOPPING;
    case recorder::RecordingState::kStopped: return v1::RECORDING_STATE_STOPPED;
    case recorder::RecordingState::kFailed: return v1::RECORDING_STATE_FAILED;
    case recorder::RecordingState::kRecovered: return v1::RECORDING_STATE_RECOVERED;
  }
  return v1::RECORDING_STATE_UNSPECIFIED;
}

v1::EventKind kind(recorder::EventKind k) {
  switch (k) {
    case recorder::EventKind::kMediumInserted: return v1::EVENT_KIND_MEDIUM_INSERTED;
    case recorder::EventKind::kMediumRemoved: return v1::EVENT_KIND_MEDIUM_REMOVED;
    case recorder::EventKind::kDriveError: return v1::EVENT_KIND_DRIVE_ERROR;
    case recorder::EventKind::kRecordingState: return v1::EVENT_KIND_RECORDING_STATE;
    case recorder::EventKind::kDiscFinalized: return v1::EVENT_KIND_DISC_FINALIZED;
    case recorder::EventKind::kRecovery: return v1::EVENT_KIND_RECOVERY;
    case recorder::EventKind::kLoadShed: return v1::EVENT_KIND_LOAD_SHED;
    case recorder::EventKind::kLostExtent: return v1::EVENT_KIND_LOST_EXTENT;
    case recorder::EventKind::kDiscSpace: return v1::EVENT_KIND_DISC_SPACE;
    case recorder::EventKind::kDriveOpened: return v1::EVENT_KIND_DRIVE_OPENED;
  }
  return v1::EVENT_KIND_UNSPECIFIED;
}

}  // namespace

void to_proto(const recorder::WriteModeInfo& in, v1::WriteMode* out) {
  out->set_policy(std::string(recorder::write_mode_name(in.policy)));
  out->set_chosen(in.choice.has_value());
  if (!in.choice) return;
  out->set_streaming(in.choice->streaming);
  out->set_half_speed(in.choice->half_speed);
  out->set_reason(in.choice->reason);
}

void to_proto(const recorder::DriveInfo& in, v1::Drive* out) {
  out->set_name(drive_name(in.id));
  out->set_drive_id(in.id);
  out->set_uri(in.uri);
  out->set_guaranteed_bytes_per_second(in.guaranteed_bytes_per_second);
  out->set_admitted_bytes_per_second(in.admitted_bytes_per_second);
  out->set_active_recordings(in.active_recordings);
  out->set_not_ready_reason(in.not_ready_reason);
  out->set_writer_scheduling(in.writer_scheduling);
  to_proto(in.write_mode, out->mutable_write_mode());
  if (!in.capabilities) return;
  const auto& c = *in.capabilities;
  out->set_vendor(c.vendor);
  out->set_product(c.product);
  out->set_revision(c.revision);
  for (const auto& p : c.profiles) out->add_profiles(device::profile_name(p.number));
  auto* rt = out->mutable_real_time_streaming();
  rt->set_present(c.rt_streaming.present);
  rt->set_current(c.rt_streaming.current);
  rt->set_version(c.rt_streaming.version);
  rt->set_stream_writing(c.rt_streaming.stream_writing);
  rt->set_write_speed_in_get_perf(c.rt_streaming.write_speed_in_get_perf);
  rt->set_write_speed_in_mode_page(c.rt_streaming.write_speed_in_mp2a);
  rt->set_set_cd_speed(c.rt_streaming.set_cd_speed);
  rt->set_read_buffer_capacity_block(c.rt_streaming.read_buffer_capacity_block);
  for (const auto& s : c.write_speeds) {
    auto* w = out->add_write_speeds();
    w->set_write_kbps(s.write_kbps);
    w->set_read_kbps(s.read_kbps);
    w->set_end_lba(s.end_lba);
    w->set_exact(s.exact);
    if (c.one_x_bytes_per_second)
      w->set_multiple(static_cast<double>(s.write_kbps) * 1000.0 / static_cast<double>(c.one_x_bytes_per_second));
  }
  auto* m = out->mutable_medium();
  m->set_profile(c.current_profile);
  m->set_profile_name(c.current_profile ? device::profile_name(c.current_profile) : "no medium");
  m->set_status(disc_status(c));
  m->set_erasable(c.disc && c.disc->erasable);
  m->set_sequential(device::profile_is_sequential(c.current_profile));
  m->set_next_writable_address(c.next_writable_address.value_or(0));
  m->set_free_blocks(c.free_blocks);
  m->set_block_size(c.block_size);
  m->set_ecc_unit_blocks(c.ecc_unit_blocks);
  uint64_t capacity_blocks = c.write_speeds.empty() ? 0 : uint64_t{c.write_speeds.front().end_lba} + 1;
  m->set_capacity_bytes(capacity_blocks * c.block_size);
  if (in.space) {
    // The probe was before the first write; the writer knows where it is.
    const auto& sp = *in.space;
    m->set_status(v1::DISC_STATUS_APPENDABLE);
    m->set_recording(true);
    m->set_next_writable_address(sp.next_writable_address);
    m->set_free_blocks(sp.free_blocks);
    m->set_used_blocks(sp.used_blocks);
    m->set_recording_bitrate_bps(sp.bitrate_bps);
    m->set_full(sp.full);
    if (sp.time_left) set_duration(*sp.time_left, m->mutable_recording_time_left());
  }
  if (in.volume) {
    auto* v = m->mutable_volume();
    v->set_label(in.volume->label);
    v->set_files(in.volume->files);
    v->set_recordings(in.volume->recordings);
    v->set_free_blocks(in.volume->free_blocks);
    v->set_recordable_blocks(in.volume->recordable_blocks);
    v->set_not_appendable(in.volume->not_appendable);
  }
  out->set_buffer_size_bytes(c.buffer_size_bytes);
  for (const auto& q : c.quirks) {
    auto* quirk = out->add_quirks();
    quirk->set_name(q.name());
    quirk->set_value(q.value.value_or(0));
    quirk->set_reason(q.reason);
    quirk->set_source(q.source);
  }
}

void to_proto(const recorder::RecordingInfo& in, v1::Recording* out) {
  out->set_name(recording_name(in.drive_id, in.id));
  out->set_title(in.title);
  out->set_source_url(in.source_url);
  out->set_state(state(in.state));
  out->set_priority(in.priority);
  out->set_expected_bitrate_bps(in.expected_bitrate_bps);
  set_duration(in.latency_budget, out->mutable_latency_budget());
  set_time(in.start_time, out->mutable_start_time());
  if (in.end_time) set_time(*in.end_time, out->mutable_end_time());
  auto* s = out->mutable_stats();
  s->set_bytes_in(in.stats.bytes_in);
  s->set_bytes_written(in.stats.bytes_written);
  s->set_ring_capacity_bytes(in.stats.ring_capacity_bytes);
  s->set_ring_fill_bytes(in.stats.ring_fill_bytes);
  s->set_ring_high_water_bytes(in.stats.ring_high_water_bytes);
  set_duration(in.stats.min_deadline_slack, s->mutable_min_deadline_slack());
  set_duration(in.stats.p99_deadline_slack, s->mutable_p99_deadline_slack());
  s->set_missed_deadlines(in.stats.missed_deadlines);
  s->set_shed_gops(in.stats.shed_gops);
  s->set_shed_bytes(in.stats.shed_bytes);
  s->set_lost_bytes(in.stats.lost_bytes);
  s->set_input_bitrate_bps(in.stats.input_bitrate_bps);
  s->set_over_declared_rate(in.stats.over_declared_rate);
  s->set_over_declared_rate_bytes(in.stats.over_declared_rate_bytes);
  s->set_ring_not_locked(in.stats.ring_not_locked);
  if (in.source_silent_for.count() > 0)
    *out->mutable_source_silent_for() = TimeUtil::NanosecondsToDuration(in.source_silent_for.count());
  for (const auto& l : in.lost_extents) {
    auto* e = out->add_lost_extents();
    e->set_first_lba(l.first_lba);
    e->set_block_count(l.block_count);
    e->set_byte_offset(l.byte_offset);
    e->set_byte_count(l.byte_count);
    e->set_sense(l.sense);
  }
  for (const auto& r : in.shed_ranges) {
    auto* e = out->add_shed_ranges();
    e->set_byte_offset(r.byte_offset);
    e->set_byte_count(r.byte_count);
    e->set_gop_count(r.gop_count);
    set_duration(r.start, e->mutable_start());
    set_duration(r.duration, e->mutable_duration());
  }
  for (const auto& g : in.source_gaps) {
    auto* e = out->add_source_gaps();
    set_time(g.start, e->mutable_start_time());
    set_duration(g.duration, e->mutable_duration());
  }
  out->set_disc_path(in.disc_path);
  for (const auto& part : in.disc_parts) out->add_disc_parts(part);
  if (in.write_mode) to_proto(*in.write_mode, out->mutable_write_mode());
  out->set_error(in.error);
  for (const auto& p : in.parts) {
    auto* e = out->add_parts();
    e->set_part(p.part);
    e->set_recording(recording_name(p.drive_id, p.recording_id));
    e->set_state(p.state);
    e->set_bytes(p.bytes);
    set_time(p.start, e->mutable_start_time());
    if (p.end) set_time(*p.end, e->mutable_end_time());
    e->set_volume_label(p.volume_label);
    e->set_note(p.note);
    if (p.slot) e->set_slot(*p.slot);
  }
}

void to_proto(const recorder::Event& in, v1::Event* out) {
  out->set_kind(kind(in.kind));
  set_time(in.time, out->mutable_time());
  if (!in.drive_id.empty()) out->set_drive(drive_name(in.drive_id));
  if (!in.recording_id.empty()) out->set_recording(recording_name(in.drive_id, in.recording_id));
  out->set_message(in.message);
  out->set_dropped(in.dropped);
  out->set_sequence(in.sequence);
  out->set_disc(in.disc);
}

void to_proto(const recorder::DiscOperationResult& in, v1::DiscOperationProgress* out) {
  out->set_fraction(1.0);
  out->set_done(true);
  out->set_files(in.files);
  out->set_bytes(in.bytes);
  for (const auto& m : in.mismatches) {
    auto* e = out->add_mismatches();
    e->set_recording(m.recording_id);
    e->set_first_lba(m.first_lba);
    e->set_block_count(m.block_count);
    e->set_byte_offset(m.byte_offset);
  }
  out->set_lost_extents(in.lost_extents);
  out->set_image_path(in.image_path);
  out->set_summary(in.summary);
}

void to_proto(const recorder::CatalogPart& in, v1::CatalogPart* out) {
  out->set_recording_id(in.recording_id);
  out->set_part(in.part);
  out->set_title(in.title);
  out->set_pool(in.pool);
  out->set_recording(recording_name(in.drive_id, in.drive_recording_id));
  out->set_disc(in.disc);
  out->set_volume_id(in.volume_id);
  out->set_label(in.label);
  if (in.slot) out->set_slot(*in.slot);
  set_time(in.start, out->mutable_start_time());
  if (in.end) set_time(*in.end, out->mutable_end_time());
  out->set_bytes(in.bytes);
  out->set_lost_extents(in.lost_extents);
  out->set_lost_bytes(in.lost_bytes);
  switch (in.state) {
    case recorder::CatalogState::kRecording: out->set_state(v1::CATALOG_STATE_RECORDING); break;
    case recorder::CatalogState::kEnded: out->set_state(v1::CATALOG_STATE_ENDED); break;
    case recorder::CatalogState::kFinalizing: out->set_state(v1::CATALOG_STATE_FINALIZING); break;
    case recorder::CatalogState::kFinalized: out->set_state(v1::CATALOG_STATE_FINALIZED); break;
    case recorder::CatalogState::kVerified: out->set_state(v1::CATALOG_STATE_VERIFIED); break;
    case recorder::CatalogState::kFailed: out->set_state(v1::CATALOG_STATE_FAILED); break;
    case recorder::CatalogState::kDeleted: out->set_state(v1::CATALOG_STATE_DELETED); break;
  }
  out->set_note(in.note);
}

}  // namespace discrec::daemon
