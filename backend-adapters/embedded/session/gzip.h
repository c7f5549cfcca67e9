// Bounded inflate of gzip_packed#3072cfa1 payloads (zlib; gzip or zlib framing accepted).
#pragma once

#include <cstddef>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::backend::embedded {

// Inflates `packed` into a new buffer. Fails on a corrupt stream, a truncated stream, or
// output beyond `max_output` bytes (checked while inflating: a small bomb never allocates more
// than max_output).
Result<Bytes> gunzip(ByteView packed, size_t max_output);

// Compresses `data` as a gzip stream (for tests and for answers worth compressing).
Bytes gzip(ByteView data);

}  // namespace mtedge::backend::embedded
