#include "recorder/session/extent_journal.h"

#include "recorder/journal/journal_format.h"

namespace discrec::recorder {
namespace {

bool same_extent(const RecordedExtent& a, const RecordedExtent& b) {
  return a.lba == b.lba && a.blocks == b.blocks && a.length == b.length && a.input_end == b.input_end &&
         a.padding_bytes == b.padding_bytes;
}

template <typename T>
void keep_most_recent(std::deque<T>& list, const T& item) {
  list.push_back(item);
  if (list.size() > ExtentJournal::kListed) list.pop_front();
}

template <typename T>
size_t heap_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

size_t heap_bytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

ExtentJournal::ExtentJournal(const ChecksumTarget& checksums) : checksums_(checksums) {}

void ExtentJournal::begin_recording(std::shared_ptr<Recording> recording) {
  MutexLock lock(mutex_);
  tracked_[recording->id()].recording = std::move(recording);
}

void ExtentJournal::collect(StreamingWriter& writer) {
  MutexLock lock(mutex_);
  drained_.clear();
  writer.drain_extents(drained_);
  for (auto& e : drained_) take(tracked_[e.recording_id], std::move(e));
  drained_.clear();
  for (auto& [id, t] : tracked_)
    if (t.recording) take_overflows(t);
}

void ExtentJournal::take(Tracked& t, RecordingExtents&& e) {
  const size_t closed = e.recorded.size() - (e.last_recorded_open ? 1 : 0);
  if (!t.origin && e.first_recorded == 0 && !e.recorded.empty()) t.origin = e.recorded.front().time_begin;
  RecordingExtents& c = t.collected;
  // Drains hand out each list in order, so what is collected stays one run
  // of indices from first_* until it is logged.
  if (c.recorded.empty()) c.first_recorded = e.first_recorded;
  c.recorded.insert(c.recorded.end(), e.recorded.begin(), e.recorded.begin() + static_cast<std::ptrdiff_t>(closed));
  if (e.last_recorded_open) {
    t.collected_open = e.recorded.back();
    t.collected_open_index = e.first_recorded + closed;
  } else {
    t.collected_open.reset();
  }
  if (c.lost.empty()) c.first_lost = e.first_lost;
  for (auto& l : e.lost) {
    keep_most_recent(t.recent_lost, l);
    c.lost.push_back(std::move(l));
  }
  t.lost_count = e.first_lost + e.lost.size();
  if (c.shed.empty()) c.first_shed = e.first_shed;
  for (const auto& s : e.shed) {
    keep_most_recent(t.recent_shed, s);
    c.shed.push_back(s);
  }
  t.shed_count = e.first_shed + e.shed.size();
}

void ExtentJournal::take_overflows(Tracked& t) {
  const size_t before = t.collected_overflows.size();
  // The ring hands out its last range again each time (it may have grown):
  // it replaces the copy collected before.
  std::vector<OverflowRange> batch;
  const uint64_t first = t.recording->take_overflows(batch);
  if (batch.empty()) return;
  if (before == 0) {
    t.collected_overflows_first = first;
  } else {
    t.collected_overflows.resize(static_cast<size_t>(first - t.collected_overflows_first));
  }
  t.collected_overflows.insert(t.collected_overflows.end(), batch.begin(), batch.end());
  for (size_t k = 0; k + 1 < batch.size(); ++k) {
    if (first + k < t.closed_overflows) continue;
    keep_most_recent(t.recent_overflows, batch[k]);
    t.closed_overflows = first + k + 1;
  }
}

void ExtentJournal::encode_crcs(Tracked& t, uint64_t index, const RecordedExtent& x) {
  // Checksums of the units confirmed since the last sync, for verify after a crash.
  journal::UnitCrcs crcs;
  crcs.unit_blocks = checksums_.unit_blocks();
  const uint32_t from = t.crc_index == index ? t.crc_blocks : 0;
  crcs.first_lba = x.lba + from;
  uint32_t done = from;
  for (uint32_t b = from; b + crcs.unit_blocks <= x.blocks; b += crcs.unit_blocks) {
    auto crc = checksums_.crc_of(x.lba + b);
    if (!crc) break;
    crcs.crcs.push_back(*crc);
    done = b + crcs.unit_blocks;
  }
  if (!crcs.crcs.empty()) unwritten_.push_back(journal::encode(crcs));
  t.crc_index = index;
  t.crc_blocks = done;
}

void ExtentJournal::encode(RecordingId id, Tracked& t) {
  RecordingExtents& c = t.collected;
  for (size_t k = 0; k < c.recorded.size(); ++k) {
    const uint64_t index = c.first_recorded + k;
    const RecordedExtent& x = c.recorded[k];
    // An extent logged while open and closed unchanged is not logged again.
    const bool logged = t.logged_open && t.logged_open_index == index && same_extent(*t.logged_open, x);
    if (!logged) unwritten_.push_back(journal::encode(static_cast<uint32_t>(index), x));
    if (t.logged_open && t.logged_open_index <= index) t.logged_open.reset();
    encode_crcs(t, index, x);
  }
  c.first_recorded += c.recorded.size();
  c.recorded.clear();
  for (size_t k = 0; k < c.lost.size(); ++k)
    unwritten_.push_back(journal::encode(static_cast<uint32_t>(c.first_lost + k), c.lost[k]));
  c.first_lost += c.lost.size();
  c.lost.clear();
  for (size_t k = 0; k < c.shed.size(); ++k)
    unwritten_.push_back(journal::encode(static_cast<uint32_t>(c.first_shed + k), c.shed[k]));
  c.first_shed += c.shed.size();
  c.shed.clear();
  if (t.collected_open) {
    // Logged again, with the same index, each time it grew (replay keeps the last).
    const uint64_t index = t.collected_open_index;
    const RecordedExtent& x = *t.collected_open;
    if (!(t.logged_open && t.logged_open_index == index && same_extent(*t.logged_open, x))) {
      unwritten_.push_back(journal::encode(static_cast<uint32_t>(index), x));
      t.logged_open = x;
      t.logged_open_index = index;
    }
    encode_crcs(t, index, x);
    t.collected_open.reset();
  }
  for (size_t k = 0; k < t.collected_overflows.size(); ++k) {
    const uint64_t index = t.collected_overflows_first + k;
    const OverflowRange& o = t.collected_overflows[k];
    if (t.logged_overflow && t.logged_overflow_index == index && *t.logged_overflow == o) continue;
    unwritten_.push_back(journal::encode(id, static_cast<uint32_t>(index), o));
  }
  if (!t.collected_overflows.empty()) {
    t.logged_overflow = t.collected_overflows.back();
    t.logged_overflow_index = t.collected_overflows_first + t.collected_overflows.size() - 1;
    t.collected_overflows.clear();
  }
}

Status ExtentJournal::append_to(journal::JournalFile& file) {
  std::vector<std::vector<uint8_t>> records;
  {
    MutexLock lock(mutex_);
    for (auto& [id, t] : tracked_)
      if (t.recording) encode(id, t);
    records.swap(unwritten_);
  }
  if (records.empty()) return {};
  // Written without the lock: a listing does not wait for fdatasync().
  Status appended = file.append(records);
  if (!appended.ok()) {
    MutexLock lock(mutex_);
    // Only append_to() adds records, and only one runs at a time.
    unwritten_ = std::move(records);
  }
  return appended;
}

ExtentJournal::Listing ExtentJournal::listing(const StreamingWriter& writer, const Recording& recording) const {
  MutexLock lock(mutex_);
  Listing out;
  uint64_t lost_count = 0, shed_count = 0, closed_overflows = 0;
  auto it = tracked_.find(recording.id());
  if (it != tracked_.end()) {
    const Tracked& t = it->second;
    out.lost.assign(t.recent_lost.begin(), t.recent_lost.end());
    out.shed.assign(t.recent_shed.begin(), t.recent_shed.end());
    out.overflows.assign(t.recent_overflows.begin(), t.recent_overflows.end());
    lost_count = t.lost_count;
    shed_count = t.shed_count;
    closed_overflows = t.closed_overflows;
    if (t.origin) out.origin = *t.origin;
  }
  // What the writer and the ring published since the last collect (under
  // mutex_, so nothing is collected meanwhile: no entry is missed or twice).
  if (auto tail = writer.extents(recording.id()); tail.ok()) {
    for (size_t k = 0; k < tail->lost.size(); ++k)
      if (tail->first_lost + k >= lost_count) out.lost.push_back(tail->lost[k]);
    for (size_t k = 0; k < tail->shed.size(); ++k)
      if (tail->first_shed + k >= shed_count) out.shed.push_back(tail->shed[k]);
    if (out.origin == TimePoint{} && tail->first_recorded == 0 && !tail->recorded.empty())
      out.origin = tail->recorded.front().time_begin;
  }
  uint64_t first = 0;
  const auto overflows = recording.overflows(&first);
  for (size_t k = 0; k < overflows.size(); ++k)
    if (first + k >= closed_overflows) out.overflows.push_back(overflows[k]);
  keep_listed(out.lost);
  keep_listed(out.shed);
  keep_listed(out.overflows);
  return out;
}

size_t ExtentJournal::bookkeeping_bytes() const {
  MutexLock lock(mutex_);
  // A std::map node: the value and about four pointers of tree links.
  size_t bytes = tracked_.size() * (sizeof(Tracked) + 4 * sizeof(void*)) + heap_bytes(drained_) +
                 heap_bytes(unwritten_);
  for (const auto& r : unwritten_) bytes += heap_bytes(r);
  for (const auto& [id, t] : tracked_) {
    bytes += heap_bytes(t.collected.recorded) + heap_bytes(t.collected.lost) + heap_bytes(t.collected.shed) +
             heap_bytes(t.collected_overflows);
    for (const auto& l : t.collected.lost) bytes += heap_bytes(l.message);
    bytes += t.recent_lost.size() * sizeof(LostExtent) + t.recent_shed.size() * sizeof(ShedRange) +
             t.recent_overflows.size() * sizeof(OverflowRange);
    for (const auto& l : t.recent_lost) bytes += heap_bytes(l.message);
  }
  return bytes;
}

}  // namespace discrec::recorder
