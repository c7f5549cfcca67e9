// The 16-byte header that starts mtedge's files of records (the auth key file, the embedded
// backend's record log): an 8-byte magic naming the format, then version u32 and a reserved
// u32 = 0, little-endian. Each format checks its own magic and versions.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "base/bytes.h"

namespace mtedge::files {

inline constexpr size_t kFileHeaderSize = 16;
inline constexpr size_t kFileMagicSize = 8;

inline Bytes file_header(std::string_view magic, uint32_t version) {
  assert(magic.size() == kFileMagicSize);
  Bytes out(kFileHeaderSize, 0);
  std::memcpy(out.data(), magic.data(), kFileMagicSize);
  store_le32(&out[kFileMagicSize], version);
  return out;
}

}  // namespace mtedge::files
