#include "backend-adapters/embedded/session/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <string>

#include "backend-adapters/embedded/session/service_ids.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::backend::embedded {

Result<Bytes> gunzip(ByteView packed, size_t max_output) {
  z_stream stream{};
  // 32 + MAX_WBITS: detect gzip or zlib headers.
  if (inflateInit2(&stream, 32 + MAX_WBITS) != Z_OK) return Status::error("inflate init failed");
  Bytes out;
  out.resize(std::min<size_t>(max_output, std::max<size_t>(packed.size() * 4, 4096)));
  stream.next_in = const_cast<Bytef*>(packed.data());
  stream.avail_in = static_cast<uInt>(packed.size());
  size_t produced = 0;
  Status status;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= max_output) {
        // Full: one more byte of output means the stream is over the cap.
        uint8_t probe = 0;
        stream.next_out = &probe;
        stream.avail_out = 1;
        int rc = inflate(&stream, Z_NO_FLUSH);
        if (rc == Z_STREAM_END && stream.avail_out == 1) break;
        status = Status::error(std::string(kInflatedOverCap));
        break;
      }
      out.resize(std::min(max_output, out.size() * 2));
    }
    stream.next_out = out.data() + produced;
    stream.avail_out = static_cast<uInt>(out.size() - produced);
    int rc = inflate(&stream, Z_NO_FLUSH);
    produced = out.size() - stream.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && stream.avail_out == 0) continue;
    status = Status::error(rc == Z_BUF_ERROR ? "gzip_packed: truncated stream"
                                             : "gzip_packed: corrupt stream");
    break;
  }
  inflateEnd(&stream);
  if (!status) return status;
  out.resize(produced);
  return out;
}

Bytes gzip(ByteView data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&stream, static_cast<uLong>(data.size())) + 32);
  stream.next_in = const_cast<Bytef*>(data.data());
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(out.size() - stream.avail_out);
  deflateEnd(&stream);
  return out;
}

Bytes gzip_packed(ByteView inner) {
  Bytes out;
  mtproto::TlWriter w(out);
  w.write_uint32(ids::kGzipPacked);
  w.write_bytes(gzip(inner));
  return out;
}

}  // namespace mtedge::backend::embedded
