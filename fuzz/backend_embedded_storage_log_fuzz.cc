// Fuzzes the record log's recovery parser (backend-adapters/embedded/storage/record_format.h):
// any image either fails at the header or splits into the header, valid records, skipped
// damaged ranges and a torn tail that account for every byte. The valid records, written out
// again, parse back to the same records with nothing skipped or torn.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "backend-adapters/embedded/storage/record_format.h"

namespace storage = mtedge::backend::embedded::storage;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// One parse of an image: whether its header was accepted, its records and the report.
struct Parsed {
  bool ok = false;
  std::vector<mtedge::Bytes> records;
  storage::ParseReport report;

  explicit Parsed(mtedge::ByteView image) {
    auto keep = [&](mtedge::ByteView r) {
      check(r.data() >= image.data() && r.data() + r.size() <= image.data() + image.size());
      records.emplace_back(r.begin(), r.end());
    };
    ok = storage::parse(image, keep, report).is_ok();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Parsed parsed({data, size});
  const storage::ParseReport& report = parsed.report;
  if (!parsed.ok) {
    check(parsed.records.empty());
    return 0;
  }
  check(report.records == parsed.records.size());
  check(report.good_end + report.torn_bytes == size);
  if (report.header_torn) {
    check(parsed.records.empty() && report.good_end == 0 && size < storage::kHeaderSize);
    return 0;
  }
  uint64_t accounted = storage::kHeaderSize + report.torn_bytes;
  for (const mtedge::Bytes& r : parsed.records) accounted += storage::kRecordOverhead + r.size();
  uint64_t previous_end = storage::kHeaderSize;
  for (const storage::SkippedRange& s : report.skipped) {
    check(s.size > 0 && s.offset >= previous_end && s.offset + s.size <= report.good_end);
    previous_end = s.offset + s.size;
    accounted += s.size;
  }
  check(accounted == size);

  mtedge::Bytes again = storage::header();
  for (const mtedge::Bytes& r : parsed.records) storage::append_record(r, again);
  const Parsed reparsed(again);
  check(reparsed.ok && reparsed.records == parsed.records);
  check(reparsed.report.skipped.empty() && reparsed.report.torn_bytes == 0 &&
        reparsed.report.good_end == again.size());
  return 0;
}
