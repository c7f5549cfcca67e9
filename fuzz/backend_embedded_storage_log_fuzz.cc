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

std::vector<mtedge::Bytes> parse_all(mtedge::ByteView image, storage::ParseReport& report,
                                     bool& ok) {
  std::vector<mtedge::Bytes> records;
  mtedge::Status st = storage::parse(
      image,
      [&](mtedge::ByteView r) {
        check(r.data() >= image.data() && r.data() + r.size() <= image.data() + image.size());
        records.emplace_back(r.begin(), r.end());
      },
      report);
  ok = st.is_ok();
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  storage::ParseReport report;
  bool ok = false;
  std::vector<mtedge::Bytes> records = parse_all({data, size}, report, ok);
  if (!ok) {
    check(records.empty());
    return 0;
  }
  check(report.records == records.size());
  check(report.good_end + report.torn_bytes == size);
  if (report.header_torn) {
    check(records.empty() && report.good_end == 0 && size < storage::kHeaderSize);
    return 0;
  }
  uint64_t accounted = storage::kHeaderSize + report.torn_bytes;
  for (const mtedge::Bytes& r : records) accounted += storage::kRecordOverhead + r.size();
  uint64_t previous_end = storage::kHeaderSize;
  for (const storage::SkippedRange& s : report.skipped) {
    check(s.size > 0 && s.offset >= previous_end && s.offset + s.size <= report.good_end);
    previous_end = s.offset + s.size;
    accounted += s.size;
  }
  check(accounted == size);

  mtedge::Bytes again = storage::header();
  for (const mtedge::Bytes& r : records) storage::append_record(r, again);
  storage::ParseReport report2;
  bool ok2 = false;
  check(parse_all(again, report2, ok2) == records);
  check(ok2 && report2.skipped.empty() && report2.torn_bytes == 0 &&
        report2.good_end == again.size());
  return 0;
}
