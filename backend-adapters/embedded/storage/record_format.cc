#include "backend-adapters/embedded/storage/record_format.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "files/file_header.h"

namespace mtedge::backend::embedded::storage {
namespace {

constexpr char kMagic[] = "MTEDGERL";
constexpr uint32_t kVersion = 1;

uint32_t record_crc(const uint8_t* len_bytes, const uint8_t* payload, size_t size) {
  uLong crc = crc32(0L, len_bytes, 4);
  // zlib takes uInt lengths; payloads are at most kMaxRecordBytes.
  return static_cast<uint32_t>(crc32(crc, payload, static_cast<uInt>(size)));
}

// The size of the valid record at image[pos], or 0 when none starts there.
size_t valid_record_at(ByteView image, size_t pos) {
  if (image.size() - pos < kRecordOverhead) return 0;
  const uint8_t* p = &image[pos];
  const uint32_t len = load_le32(p);
  if (len > kMaxRecordBytes || image.size() - pos - kRecordOverhead < len) return 0;
  if (load_le32(p + 4) != record_crc(p, p + kRecordOverhead, len)) return 0;
  return kRecordOverhead + len;
}

}  // namespace

Bytes header() {
  return files::file_header(kMagic, kVersion);
}

void append_record(ByteView payload, Bytes& out) {
  const size_t start = out.size();
  append_le32(out, static_cast<uint32_t>(payload.size()));
  append_le32(out, 0);
  append(out, payload);
  store_le32(&out[start + 4],
             record_crc(&out[start], &out[start] + kRecordOverhead, payload.size()));
}

Status parse(ByteView image, const std::function<void(ByteView)>& on_record, ParseReport& report) {
  report = ParseReport{};
  if (image.empty()) {
    report.header_torn = true;
    return Status::ok();
  }
  const Bytes expected = header();
  const size_t compared = std::min(image.size(), kHeaderSize);
  if (std::memcmp(image.data(), expected.data(), std::min(compared, files::kFileMagicSize)) != 0)
    return Status::error("offset 0: bad magic (not an mtedge record log)");
  if (image.size() < kHeaderSize) {
    if (std::memcmp(image.data(), expected.data(), compared) != 0)
      return Status::error("offset 8: bad header");
    report.header_torn = true;
    report.torn_bytes = image.size();
    return Status::ok();
  }
  if (load_le32(&image[8]) != kVersion)
    return Status::error("offset 8: unsupported version " + std::to_string(load_le32(&image[8])));
  size_t pos = kHeaderSize;
  report.good_end = pos;
  while (pos < image.size()) {
    if (size_t size = valid_record_at(image, pos); size > 0) {
      on_record(image.subspan(pos + kRecordOverhead, size - kRecordOverhead));
      ++report.records;
      pos += size;
      report.good_end = pos;
      continue;
    }
    size_t next = pos + 1;
    while (next < image.size() && valid_record_at(image, next) == 0) ++next;
    if (next == image.size()) break;  // nothing valid follows: a torn tail
    report.skipped.push_back({pos, next - pos});
    pos = next;
  }
  report.torn_bytes = image.size() - report.good_end;
  return Status::ok();
}

}  // namespace mtedge::backend::embedded::storage
