#include "mtproto/auth_keys/key_file.h"

#include <zlib.h>

#include <cstring>

#include "files/file_header.h"

namespace mtedge::mtproto::key_file {
namespace {

constexpr char kMagic[] = "MTEDGEAK";
constexpr uint32_t kVersion = 1;
constexpr uint8_t kPut = 1;
constexpr uint8_t kErase = 2;

uint32_t crc_of(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32(0L, p, static_cast<uInt>(n)));
}

void append_le64(Bytes& out, uint64_t v) {
  append_le32(out, static_cast<uint32_t>(v));
  append_le32(out, static_cast<uint32_t>(v >> 32));
}

// Closes the record that starts at out[start] with its CRC.
void seal(Bytes& out, size_t start) {
  append_le32(out, crc_of(&out[start], out.size() - start));
}

// The valid record at image[pos], or 0 bytes when there is none there (`out` is then left
// as it was: a rejected record never leaks fields into the next one).
size_t valid_record_at(ByteView image, size_t pos, Record& out) {
  const uint8_t type = image[pos];
  const size_t size = type == kPut ? kPutRecordSize : type == kErase ? kEraseRecordSize : 0;
  if (size == 0 || image.size() - pos < size) return 0;
  const uint8_t* p = &image[pos];
  if (load_le32(p + size - 4) != crc_of(p, size - 4)) return 0;
  Record record;
  record.put = type == kPut;
  record.id = load_le64(p + 1);
  if (record.put) {
    record.created_at = static_cast<int64_t>(load_le64(p + 9));
    record.dc_id = static_cast<int32_t>(load_le32(p + 17));
    record.key = p + 21;
    if (auth_key_id_of(std::span<const uint8_t, AuthKey::kSize>(record.key, AuthKey::kSize)) !=
        record.id)
      return 0;
  }
  out = record;
  return size;
}

}  // namespace

Bytes header() {
  return files::file_header(kMagic, kVersion);
}

void append_put(const StoredAuthKey& key, Bytes& out) {
  const size_t start = out.size();
  out.push_back(kPut);
  append_le64(out, key.id());
  append_le64(out, static_cast<uint64_t>(key.created_at));
  append_le32(out, static_cast<uint32_t>(key.dc_id));
  append(out, key.key.data());
  seal(out, start);
}

void append_erase(uint64_t auth_key_id, Bytes& out) {
  const size_t start = out.size();
  out.push_back(kErase);
  append_le64(out, auth_key_id);
  seal(out, start);
}

Status parse(ByteView image, const std::function<void(const Record&)>& on_record,
             ParseReport& report) {
  if (image.size() < kHeaderSize || std::memcmp(image.data(), kMagic, files::kFileMagicSize) != 0)
    return Status::error("offset 0: bad magic (not an mtedge auth key file)");
  if (load_le32(&image[8]) != kVersion)
    return Status::error("offset 8: unsupported version " + std::to_string(load_le32(&image[8])));
  size_t pos = kHeaderSize;
  Record record;
  while (pos < image.size()) {
    if (size_t size = valid_record_at(image, pos, record); size > 0) {
      on_record(record);
      ++report.records;
      pos += size;
      continue;
    }
    // Resynchronise: the next offset where a valid record starts (or the end).
    size_t next = pos + 1;
    while (next < image.size() && valid_record_at(image, next, record) == 0) ++next;
    report.skipped_bytes += next - pos;
    report.notes.push_back((next == image.size()
                                ? "dropped a torn or damaged final record at offset "
                                : "skipped a damaged record at offset ") +
                           std::to_string(pos) + " (" + std::to_string(next - pos) + " bytes)");
    pos = next;
  }
  return Status::ok();
}

}  // namespace mtedge::mtproto::key_file
