// Bounded inflate of gzip_packed#3072cfa1 payloads (zlib; gzip or zlib framing accepted).
#pragma once

#include <cstddef>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::backend::embedded {

// The message of gunzip's failure when the output would exceed `max_output`.
inline constexpr std::string_view kInflatedOverCap = "gzip_packed: inflated size over the cap";

// Inflates `packed` into a new buffer. Fails on a corrupt stream, a truncated stream, or
// output beyond `max_output` bytes (checked while inflating: a small bomb never allocates more
// than max_output, and costs at most max_output bytes of inflate work).
Result<Bytes> gunzip(ByteView packed, size_t max_output);

// Compresses `data` as a gzip stream (for tests and for answers worth compressing).
Bytes gzip(ByteView data);

// gzip_packed#3072cfa1 holding gzip(`inner`): a TL body.
Bytes gzip_packed(ByteView inner);

}  // namespace mtedge::backend::embedded
