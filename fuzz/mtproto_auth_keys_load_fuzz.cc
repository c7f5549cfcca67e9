// Fuzzes the auth key file loader (mtproto/auth_keys/key_file.h): any image either fails at the
// header or parses into valid records plus skipped bytes that account for every byte. The valid
// records, written out again, parse back to the same records with nothing skipped.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mtproto/auth_keys/key_file.h"

namespace kf = mtedge::mtproto::key_file;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Seen {
  bool put;
  uint64_t id;
  int64_t created_at;
  int32_t dc_id;
  std::vector<uint8_t> key;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> parse_all(mtedge::ByteView image, kf::ParseReport& report, bool& ok) {
  std::vector<Seen> seen;
  mtedge::Status st = kf::parse(
      image,
      [&](const kf::Record& r) {
        Seen s{r.put, r.id, r.created_at, r.dc_id, {}};
        if (r.put) {
          check(r.key >= image.data() &&
                r.key + mtedge::mtproto::AuthKey::kSize <= image.data() + image.size());
          s.key.assign(r.key, r.key + mtedge::mtproto::AuthKey::kSize);
        }
        seen.push_back(std::move(s));
      },
      report);
  ok = st.is_ok();
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kf::ParseReport report;
  bool ok = false;
  std::vector<Seen> seen = parse_all({data, size}, report, ok);
  if (!ok) {
    check(seen.empty());
    return 0;
  }
  size_t record_bytes = 0;
  for (const Seen& s : seen) record_bytes += s.put ? kf::kPutRecordSize : kf::kEraseRecordSize;
  check(kf::kHeaderSize + record_bytes + report.skipped_bytes == size);
  check(report.records == seen.size());
  check(report.notes.empty() == (report.skipped_bytes == 0));

  mtedge::Bytes again = kf::header();
  for (const Seen& s : seen) {
    if (!s.put) {
      kf::append_erase(s.id, again);
      continue;
    }
    mtedge::mtproto::StoredAuthKey key;
    key.key = mtedge::mtproto::AuthKey(std::span<const uint8_t, 256>(s.key.data(), 256));
    key.created_at = s.created_at;
    key.dc_id = s.dc_id;
    kf::append_put(key, again);
  }
  kf::ParseReport report2;
  bool ok2 = false;
  check(parse_all(again, report2, ok2) == seen);
  check(ok2 && report2.skipped_bytes == 0);
  return 0;
}
