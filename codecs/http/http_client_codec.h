// The client side of the MTProto HTTP transport: request encoding and a response parser
// (llhttp in response mode). Used by tests, the load generator and an HTTP upstream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"

namespace mtedge::codecs::http {

// Appends `POST <path> HTTP/1.1` with Host, Connection and Content-Length, then the body
// (tdlib's header set; `host` may be empty).
void encode_request(std::string_view path, std::string_view host, ByteView body, bool keep_alive,
                    Bytes& out);

struct Response {
  int status = 0;
  bool keep_alive = true;
  MutableByteView body;  // valid only during on_response
};

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // Returning false stops the parser (the rest of that feed is dropped).
  virtual bool on_response(const Response& response) = 0;
};

struct ClientLimits {
  size_t max_header_bytes = 16384;
  size_t max_body_bytes = (4u << 20) + 4096;
};

// Parses responses in any split. Responses must carry Content-Length (chunked or
// read-until-close bodies are refused: kBadServerPacket). Errors are sticky.
class HttpResponseParser {
 public:
  explicit HttpResponseParser(ClientLimits limits = {});
  ~HttpResponseParser();
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  CodecError feed(MutableByteView in, ResponseSink& sink);
  CodecError error() const { return error_; }

 private:
  struct Parser;
  friend struct ClientCallbacks;
  int on_message_begin();
  int on_headers_complete();
  int on_body(const char* at, size_t length);
  int on_message_complete();
  bool count_header(size_t length);

  ClientLimits limits_;
  std::unique_ptr<Parser> parser_;
  CodecError error_ = CodecError::kNone;
  bool stopped_ = false;
  ResponseSink* sink_ = nullptr;
  size_t header_bytes_ = 0;
  bool in_headers_ = true;
  int status_ = 0;
  bool keep_alive_ = true;
  uint64_t content_length_ = 0;
  Bytes body_;
  MutableByteView body_view_;
  bool body_direct_ = false;
};

}  // namespace mtedge::codecs::http
