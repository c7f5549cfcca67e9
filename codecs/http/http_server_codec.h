// HttpServerCodec: the server side of the MTProto HTTP transport (docs/spec/wire-notes.md §4),
// sans-io, on llhttp. One object per connection.
//
// Inbound: feed() takes raw bytes in any split and emits, through a RequestSink,
//   - every accepted POST (one MTProto payload per body; an empty body is Web A's probe),
//   - a WebSocket upgrade (GET with `Upgrade: websocket` on /apiws, /apiws_test,
//     /apiws_premium); the bytes after that request belong to WebSocket.
// OPTIONS preflights are answered by the codec itself. Malformed or refused requests get
// their error reply queued by the codec (status of the codec error table, CORS on web
// paths) and the error is sticky.
//
// Outbound, in request order: every request gets an id (0, 1, 2, ... per connection) and
// a slot in an ordered queue. The gateway answers a request with respond()/
// respond_transport_error()/respond_raw() at any time (a long-poll answer may come much
// later, and answers to pipelined requests may be produced out of order); take_output()
// hands out the bytes of the answered prefix of the queue only, so responses always leave
// in request order. OPTIONS and error replies occupy their slots like any other reply.
//
// Caps: header block (431), URI (414), body (413, checked against Content-Length before
// any body byte arrives; the body buffer grows only as bytes arrive), requests waiting for
// their answer (`max_pipelined`: beyond it the codec stops parsing and stashes the rest of
// that feed; wants_read() turns false until answers are taken).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"

namespace mtedge::codecs::http {

struct ServerLimits {
  size_t max_header_bytes = 8192;             // request line + headers + blank line -> 431
  size_t max_uri_bytes = 512;                 // request target incl. query -> 414
  size_t max_body_bytes = (4u << 20) + 4096;  // Content-Length above this -> 413
  size_t max_pipelined = 16;                  // requests parsed but whose answer is not taken
};

enum class PathKind : uint8_t {
  kApi,        // /api (native clients)
  kWeb,        // /apiw1, /apiw_test1, /apiw1_test, /apiw1_premium (CORS)
  kWebSocket,  // /apiws, /apiws_test, /apiws_premium (GET + Upgrade only)
  kOther,
};

// Classifies a path (query already stripped).
PathKind classify_path(std::string_view path);

struct Request {
  uint64_t id = 0;
  std::string_view path;     // query stripped
  bool is_web_path = false;  // answers carry CORS headers
  bool keep_alive = true;
  MutableByteView body;  // valid only during on_request; may be modified in place
  bool is_probe() const { return body.empty(); }
};

struct UpgradeRequest {
  uint64_t id = 0;
  std::string_view path;       // /apiws, /apiws_test or /apiws_premium
  std::string_view key;        // Sec-WebSocket-Key, as sent
  std::string_view protocols;  // Sec-WebSocket-Protocol, comma-joined when repeated
  std::string_view version;    // Sec-WebSocket-Version, as sent
};

class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // Returning false stops the codec: the rest of the input is dropped and no further
  // request is parsed (the connection is closing).
  virtual bool on_request(const Request& request) = 0;
  // After this the codec parses nothing more; feed() reports where WebSocket bytes start.
  virtual bool on_upgrade(const UpgradeRequest& request) = 0;
};

struct FeedResult {
  // Bytes of the input that belonged to HTTP. Equal to the input size except after a
  // WebSocket upgrade, where in[consumed..] is the start of the WebSocket stream.
  size_t consumed = 0;
  CodecError error = CodecError::kNone;
};

class HttpServerCodec {
 public:
  explicit HttpServerCodec(ServerLimits limits = {});
  ~HttpServerCodec();
  HttpServerCodec(const HttpServerCodec&) = delete;
  HttpServerCodec& operator=(const HttpServerCodec&) = delete;

  // Feeds bytes as read from the socket (any split). Body views handed to the sink may
  // point into `in`. While !wants_read() the gateway should stop reading; bytes fed anyway
  // are stashed up to max_header_bytes + max_body_bytes (beyond: kBufferLimit, 429).
  FeedResult feed(MutableByteView in, RequestSink& sink);
  // Parses stashed bytes once answers were taken: call after take_output() when
  // needs_resume(). `consumed` counts stashed bytes.
  FeedResult resume(RequestSink& sink);

  // After an upgrade reached inside resume() (not feed()), the stashed bytes that followed
  // the upgrade request: the start of the WebSocket stream. Empty otherwise.
  Bytes take_upgrade_leftover();

  // Answers. `id` must be a pending request id; returns false if it is not (unknown or
  // already answered). A POST answer is `status` (200) with body and the request's
  // keep-alive and CORS; an empty probe POST is answered respond(id, {}) (200, empty body).
  bool respond(uint64_t id, ByteView body, int status = 200);
  // The request's answer is an MTProto transport error (-404, -429, -444...): HTTP status
  // http_status_for_transport_error(code), empty body, and the connection closes after it.
  bool respond_transport_error(uint64_t id, int32_t code);
  // Pre-encoded bytes (the WebSocket 101 reply). `close_after`: close once written.
  bool respond_raw(uint64_t id, Bytes bytes, bool close_after);

  // Appends the answered prefix of the queue to `out`; returns the bytes appended.
  size_t take_output(Bytes& out);
  bool has_output() const;
  // True once every byte to send has been taken and the connection must now close (a
  // request without keep-alive, a transport error or an error reply was taken).
  bool should_close() const;
  bool wants_read() const;
  // Parsing stopped at max_pipelined and answers have since been taken: call resume().
  bool needs_resume() const {
    return state_ == State::kPaused && slots_.size() < limits_.max_pipelined;
  }
  bool upgraded() const { return state_ == State::kUpgraded; }
  size_t pending() const { return slots_.size(); }
  // Memory held for request bytes: the stash past the pipelining cap and the body buffer.
  size_t buffered_bytes() const { return stash_.capacity() + body_.capacity(); }
  CodecError error() const { return error_; }
  uint64_t requests() const { return next_id_; }
  // Frees buffers kept between requests (idle connections keep nothing).
  void shrink();

 private:
  struct Parser;  // llhttp state, kept out of this header
  struct Slot {
    uint64_t id = 0;
    bool answered = false;
    bool keep_alive = true;
    bool cors = false;
    bool close_after = false;
    Bytes bytes;
  };
  enum class State : uint8_t { kActive, kPaused, kClosing, kUpgraded, kError };
  enum class Pause : uint8_t { kNone, kHeadersComplete, kMessageComplete };

  FeedResult run(MutableByteView in, RequestSink& sink);
  void fail(CodecError error);
  void finish_headers();
  bool finish_message(RequestSink& sink);
  Slot* find(uint64_t id);
  void begin_message();

  // llhttp callbacks (static trampolines live in the .cc).
  friend struct Callbacks;
  int on_message_begin();
  int on_url(const char* at, size_t length);
  int on_header_field(const char* at, size_t length);
  int on_header_value(const char* at, size_t length);
  int on_header_value_complete();
  int on_headers_complete();
  int on_body(const char* at, size_t length);
  int on_message_complete();
  bool header_overflow(const char* at, size_t length);

  ServerLimits limits_;
  std::unique_ptr<Parser> parser_;
  State state_ = State::kActive;
  CodecError error_ = CodecError::kNone;
  Pause pause_ = Pause::kNone;
  uint64_t next_id_ = 0;
  std::deque<Slot> slots_;
  bool close_taken_ = false;
  Bytes stash_;

  // The message being parsed.
  bool in_headers_ = true;
  size_t header_bytes_ = 0;  // header-phase bytes before `phase_base_`
  const char* phase_base_ = nullptr;
  std::string url_;
  std::string field_;
  bool field_too_long_ = false;
  enum class Field : uint8_t { kOther, kUpgrade, kWsKey, kWsProtocol, kWsVersion } field_kind_;
  std::string upgrade_;
  std::string ws_key_;
  std::string ws_protocols_;
  std::string ws_version_;
  uint8_t method_ = 0;
  bool keep_alive_ = true;
  bool skip_body_ = false;  // OPTIONS: body bytes are discarded
  uint64_t content_length_ = 0;
  PathKind path_kind_ = PathKind::kOther;
  bool ws_upgrade_ = false;
  Bytes body_;
  MutableByteView body_view_;
  bool body_direct_ = false;
};

}  // namespace mtedge::codecs::http
