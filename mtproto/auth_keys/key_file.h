// The auth key file format (sans-io): encoding records and parsing a whole file image.
//
// Layout (little-endian; docs/mtproto.md "Key storage"):
//   header  "MTEDGEAK" | version u32 = 1 | reserved u32 = 0
//   records, each followed by CRC32 (zlib) of the record bytes before it:
//     put   : 0x01 | auth_key_id u64 | created_at i64 | dc_id i32 | auth_key 256 B | crc u32
//     erase : 0x02 | auth_key_id u64 | crc u32
// A record is valid when its type is known, it is complete, its CRC matches and (put) the key's
// SHA-1 gives its auth_key_id. parse() skips invalid bytes and resumes at the next valid record,
// so one torn or damaged record costs that record only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "files/file_header.h"
#include "mtproto/auth_keys/auth_key_store.h"

namespace mtedge::mtproto::key_file {

inline constexpr size_t kHeaderSize = files::kFileHeaderSize;
inline constexpr size_t kPutRecordSize = 1 + 8 + 8 + 4 + AuthKey::kSize + 4;  // 281
inline constexpr size_t kEraseRecordSize = 1 + 8 + 4;                         // 13

// The 16 header bytes.
Bytes header();
// Appends one record to `out`.
void append_put(const StoredAuthKey& key, Bytes& out);
void append_erase(uint64_t auth_key_id, Bytes& out);

struct Record {
  bool put = false;  // false: erase
  uint64_t id = 0;
  int64_t created_at = 0;
  int32_t dc_id = 0;
  const uint8_t* key = nullptr;  // put only: AuthKey::kSize bytes inside the parsed image
};

struct ParseReport {
  size_t records = 0;              // valid records, in file order
  size_t skipped_bytes = 0;        // bytes that were not part of a valid record
  std::vector<std::string> notes;  // one line per skipped range, naming its offset and size
};

// Calls `on_record` for every valid record of `image` in order. Fails only when the header is
// not an mtedge auth key file of a known version (the error names the offset); damaged or torn
// records are skipped and reported in `report`.
Status parse(ByteView image, const std::function<void(const Record&)>& on_record,
             ParseReport& report);

}  // namespace mtedge::mtproto::key_file
