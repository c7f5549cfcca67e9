// The record log's file format (sans-io): encoding records and recovering them from a whole file
// image. docs/backends/embedded-storage.md "File format".
//
// Layout (little-endian):
//   header  "MTEDGERL" | version u32 = 1 | reserved u32 = 0                (16 bytes)
//   record  len u32 | crc u32 | payload (len bytes)                       (8 + len bytes)
// crc is CRC-32 (zlib) of the 4 len bytes followed by the payload, so a zero-filled or torn
// length never passes. len is at most kMaxRecordBytes.
//
// Recovery: records are read in order from the header on. Where no valid record starts, the
// parser looks for the next offset where one does: if there is one, the bytes in between are a
// damaged record in the middle (skipped); if there is none, everything from there on is a torn
// tail (a crash or a failed write mid-record), to be truncated away.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "files/file_header.h"

namespace mtedge::backend::embedded::storage {

inline constexpr size_t kHeaderSize = files::kFileHeaderSize;
inline constexpr size_t kRecordOverhead = 8;            // len + crc
inline constexpr uint32_t kMaxRecordBytes = 64u << 20;  // format limit on a payload

// The 16 header bytes.
Bytes header();

// Appends one record holding `payload` (at most kMaxRecordBytes) to `out`.
void append_record(ByteView payload, Bytes& out);

// The size (overhead included) of the encoded record that starts at `encoded`.
inline size_t encoded_record_size(const uint8_t* encoded) {
  return kRecordOverhead + load_le32(encoded);
}

struct SkippedRange {
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct ParseReport {
  size_t records = 0;                 // valid records, in file order
  uint64_t good_end = 0;              // where the last valid record (or the header) ends
  std::vector<SkippedRange> skipped;  // damaged ranges before good_end
  uint64_t torn_bytes = 0;            // bytes after good_end (the image's size - good_end)
  bool header_torn = false;           // the image is a strict prefix of a header (or empty)
};

// Calls `on_record` with every valid payload of `image`, in order (views into `image`). Fails
// only when the image does not start with a record log header of a known version (the error
// names the offset); an image that is a strict prefix of a header (a creation cut short) is an
// empty log with header_torn set and good_end 0.
Status parse(ByteView image, const std::function<void(ByteView)>& on_record, ParseReport& report);

}  // namespace mtedge::backend::embedded::storage
