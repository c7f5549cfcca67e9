#include "codecs/http/http_server_codec.h"

#include <llhttp.h>

#include <algorithm>
#include <cassert>

#include "codecs/http/http_response.h"

namespace mtedge::codecs::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Bytes a field name may have and still be one we look at.
constexpr size_t kMaxFieldName = 32;

}  // namespace

PathKind classify_path(std::string_view path) {
  if (path == "/api") return PathKind::kApi;
  if (path == "/apiw1" || path == "/apiw_test1" || path == "/apiw1_test" ||
      path == "/apiw1_premium")
    return PathKind::kWeb;
  if (path == "/apiws" || path == "/apiws_test" || path == "/apiws_premium")
    return PathKind::kWebSocket;
  return PathKind::kOther;
}

struct HttpServerCodec::Parser {
  llhttp_t parser;
  llhttp_settings_t settings;
};

// llhttp callbacks: forward to the codec stored in parser->data.
struct Callbacks {
  static HttpServerCodec& self(llhttp_t* p) { return *static_cast<HttpServerCodec*>(p->data); }
  static int message_begin(llhttp_t* p) { return self(p).on_message_begin(); }
  static int url(llhttp_t* p, const char* at, size_t n) { return self(p).on_url(at, n); }
  static int field(llhttp_t* p, const char* at, size_t n) { return self(p).on_header_field(at, n); }
  static int value(llhttp_t* p, const char* at, size_t n) { return self(p).on_header_value(at, n); }
  static int value_complete(llhttp_t* p) { return self(p).on_header_value_complete(); }
  static int headers_complete(llhttp_t* p) { return self(p).on_headers_complete(); }
  static int body(llhttp_t* p, const char* at, size_t n) { return self(p).on_body(at, n); }
  static int message_complete(llhttp_t* p) { return self(p).on_message_complete(); }
  // Method and version spans only count towards the header cap.
  static int span(llhttp_t* p, const char* at, size_t n) {
    return self(p).header_overflow(at, n) ? -1 : 0;
  }
};

HttpServerCodec::HttpServerCodec(ServerLimits limits)
    : limits_(limits), parser_(std::make_unique<Parser>()), field_kind_(Field::kOther) {
  llhttp_settings_init(&parser_->settings);
  auto& s = parser_->settings;
  s.on_message_begin = &Callbacks::message_begin;
  s.on_method = &Callbacks::span;
  s.on_version = &Callbacks::span;
  s.on_url = &Callbacks::url;
  s.on_header_field = &Callbacks::field;
  s.on_header_value = &Callbacks::value;
  s.on_header_value_complete = &Callbacks::value_complete;
  s.on_headers_complete = &Callbacks::headers_complete;
  s.on_body = &Callbacks::body;
  s.on_message_complete = &Callbacks::message_complete;
  llhttp_init(&parser_->parser, HTTP_REQUEST, &parser_->settings);
  parser_->parser.data = this;
}

HttpServerCodec::~HttpServerCodec() = default;

// ---- llhttp callbacks -------------------------------------------------------------------

bool HttpServerCodec::header_overflow(const char* at, size_t length) {
  if (!in_headers_) return false;
  size_t seen = header_bytes_ + static_cast<size_t>(at + length - phase_base_);
  if (seen <= limits_.max_header_bytes) return false;
  fail(CodecError::kHttpHeadersTooLarge);
  return true;
}

void HttpServerCodec::begin_message() {
  url_.clear();
  field_.clear();
  field_too_long_ = false;
  field_kind_ = Field::kOther;
  upgrade_.clear();
  ws_key_.clear();
  ws_protocols_.clear();
  ws_version_.clear();
  method_ = 0;
  keep_alive_ = true;
  skip_body_ = false;
  content_length_ = 0;
  path_kind_ = PathKind::kOther;
  ws_upgrade_ = false;
  body_.clear();
  body_view_ = {};
  body_direct_ = false;
}

int HttpServerCodec::on_message_begin() {
  begin_message();
  return 0;
}

int HttpServerCodec::on_url(const char* at, size_t length) {
  if (url_.size() + length > limits_.max_uri_bytes) {
    url_.append(at, std::min<size_t>(length, 8));  // enough to tell a web path (CORS)
    fail(CodecError::kHttpUriTooLong);
    return -1;
  }
  if (header_overflow(at, length)) return -1;
  url_.append(at, length);
  return 0;
}

int HttpServerCodec::on_header_field(const char* at, size_t length) {
  if (header_overflow(at, length)) return -1;
  if (field_.size() + length > kMaxFieldName) {
    field_too_long_ = true;
  } else {
    field_.append(at, length);
  }
  return 0;
}

int HttpServerCodec::on_header_value(const char* at, size_t length) {
  if (header_overflow(at, length)) return -1;
  if (!field_.empty() || field_too_long_) {  // first value span of this header
    field_kind_ = Field::kOther;
    if (!field_too_long_) {
      if (iequals(field_, "upgrade"))
        field_kind_ = Field::kUpgrade;
      else if (iequals(field_, "sec-websocket-key"))
        field_kind_ = Field::kWsKey;
      else if (iequals(field_, "sec-websocket-protocol"))
        field_kind_ = Field::kWsProtocol;
      else if (iequals(field_, "sec-websocket-version"))
        field_kind_ = Field::kWsVersion;
    }
    if (field_kind_ == Field::kWsProtocol && !ws_protocols_.empty()) ws_protocols_ += ", ";
    field_.clear();
    field_too_long_ = false;
  }
  // Values are bounded by the header cap checked above.
  switch (field_kind_) {
    case Field::kUpgrade: upgrade_.append(at, length); break;
    case Field::kWsKey: ws_key_.append(at, length); break;
    case Field::kWsProtocol: ws_protocols_.append(at, length); break;
    case Field::kWsVersion: ws_version_.append(at, length); break;
    case Field::kOther: break;
  }
  return 0;
}

int HttpServerCodec::on_header_value_complete() {
  field_.clear();
  field_too_long_ = false;
  field_kind_ = Field::kOther;
  return 0;
}

int HttpServerCodec::on_headers_complete() {
  llhttp_t* p = &parser_->parser;
  method_ = p->method;
  keep_alive_ = llhttp_should_keep_alive(p) != 0;
  content_length_ = p->content_length;
  pause_ = Pause::kHeadersComplete;
  return HPE_PAUSED;  // validated in finish_headers(), outside the callback
}

int HttpServerCodec::on_body(const char* at, size_t length) {
  if (skip_body_) return 0;
  auto* bytes = reinterpret_cast<uint8_t*>(const_cast<char*>(at));  // feed() input is mutable
  if (body_.empty() && !body_direct_ && length == content_length_) {
    body_view_ = MutableByteView(bytes, length);  // the whole body in one span: no copy
    body_direct_ = true;
    return 0;
  }
  if (body_direct_) {  // cannot happen with Content-Length framing; kept for safety
    body_.assign(body_view_.begin(), body_view_.end());
    body_direct_ = false;
  }
  if (body_.size() + length > limits_.max_body_bytes) {
    fail(CodecError::kHttpPayloadTooLarge);
    return -1;
  }
  body_.insert(body_.end(), bytes, bytes + length);
  return 0;
}

int HttpServerCodec::on_message_complete() {
  pause_ = Pause::kMessageComplete;
  return HPE_PAUSED;
}

// ---- request validation and delivery ----------------------------------------------------

void HttpServerCodec::finish_headers() {
  const uint16_t flags = parser_->parser.flags;
  std::string_view url = url_;
  std::string_view path = url.substr(0, url.find('?'));
  path_kind_ = classify_path(path);
  switch (method_) {
    case HTTP_POST:
    case HTTP_OPTIONS:
      if (path_kind_ != PathKind::kApi && path_kind_ != PathKind::kWeb) {
        return fail(CodecError::kHttpNotFound);
      }
      if (flags & F_TRANSFER_ENCODING) {
        // Transfer-Encoding with Content-Length is a smuggling attempt (llhttp already
        // refuses it while parsing); chunked alone is refused because we require a length.
        return fail((flags & F_CONTENT_LENGTH) ? CodecError::kHttpBadRequest
                                               : CodecError::kHttpLengthRequired);
      }
      if (method_ == HTTP_POST && !(flags & F_CONTENT_LENGTH)) {
        return fail(CodecError::kHttpLengthRequired);
      }
      if (content_length_ > limits_.max_body_bytes) {
        return fail(CodecError::kHttpPayloadTooLarge);
      }
      skip_body_ = method_ == HTTP_OPTIONS;
      return;
    case HTTP_GET:
      if (path_kind_ != PathKind::kWebSocket) return fail(CodecError::kHttpNotImplemented);
      if (!iequals(upgrade_, "websocket") || !(flags & F_CONNECTION_UPGRADE) || ws_key_.empty() ||
          (flags & (F_TRANSFER_ENCODING | F_CONTENT_LENGTH))) {
        return fail(CodecError::kHttpBadRequest);
      }
      ws_upgrade_ = true;
      return;
    default: return fail(CodecError::kHttpNotImplemented);
  }
}

bool HttpServerCodec::finish_message(RequestSink& sink) {
  Slot slot;
  slot.id = next_id_++;
  slot.keep_alive = keep_alive_ && !ws_upgrade_;
  slot.cors = path_kind_ == PathKind::kWeb;
  slot.close_after = !keep_alive_;
  std::string_view url = url_;
  std::string_view path = url.substr(0, url.find('?'));
  bool go_on = true;
  if (ws_upgrade_) {
    slot.close_after = false;
    slots_.push_back(std::move(slot));
    state_ = State::kUpgraded;
    UpgradeRequest upgrade{slots_.back().id, path, ws_key_, ws_protocols_, ws_version_};
    if (!sink.on_upgrade(upgrade)) state_ = State::kClosing;
    return false;
  }
  if (method_ == HTTP_OPTIONS) {
    slot.answered = true;
    encode_options_response(slot.keep_alive, slot.cors, slot.bytes);
    slots_.push_back(std::move(slot));
  } else {
    slots_.push_back(std::move(slot));
    Request request;
    request.id = slots_.back().id;
    request.path = path;
    request.is_web_path = slots_.back().cors;
    request.keep_alive = keep_alive_;
    request.body = body_direct_ ? body_view_ : MutableByteView(body_);
    go_on = sink.on_request(request);
  }
  body_view_ = {};
  body_direct_ = false;
  body_.clear();
  if (!go_on || !keep_alive_) {
    state_ = State::kClosing;
    return false;
  }
  if (slots_.size() >= limits_.max_pipelined) {
    state_ = State::kPaused;
    return false;
  }
  return true;
}

void HttpServerCodec::fail(CodecError error) {
  if (state_ == State::kError) return;
  error_ = error;
  state_ = State::kError;
  Slot slot;
  slot.id = next_id_++;
  slot.answered = true;
  slot.keep_alive = false;
  slot.close_after = true;
  std::string_view url = url_;
  slot.cors = url.starts_with("/apiw") && !url.starts_with("/apiws");
  encode_error(http_status_for_error(error), slot.cors, slot.bytes);
  slots_.push_back(std::move(slot));
}

// ---- feeding ----------------------------------------------------------------------------

FeedResult HttpServerCodec::feed(MutableByteView in, RequestSink& sink) {
  if (in.empty()) return {0, error_};
  switch (state_) {
    case State::kError: return {in.size(), error_};
    case State::kClosing: return {in.size(), CodecError::kNone};  // ignored: closing after replies
    case State::kUpgraded: return {0, CodecError::kNone};         // belongs to WebSocket
    case State::kPaused: break;
    case State::kActive:
      if (stash_.empty()) return run(in, sink);
      break;
  }
  if (stash_.size() + in.size() > limits_.max_header_bytes + limits_.max_body_bytes) {
    fail(CodecError::kBufferLimit);
    return {in.size(), error_};
  }
  stash_.insert(stash_.end(), in.begin(), in.end());
  return {in.size(), CodecError::kNone};
}

FeedResult HttpServerCodec::resume(RequestSink& sink) {
  if (state_ == State::kPaused && slots_.size() < limits_.max_pipelined) state_ = State::kActive;
  if (state_ != State::kActive || stash_.empty()) return {0, error_};
  Bytes work;
  work.swap(stash_);
  FeedResult r = run(work, sink);
  if (state_ == State::kUpgraded) {
    // Whatever followed the upgrade request belongs to WebSocket: keep it for the gateway.
    stash_.assign(work.begin() + static_cast<std::ptrdiff_t>(r.consumed), work.end());
  }
  return r;
}

FeedResult HttpServerCodec::run(MutableByteView in, RequestSink& sink) {
  llhttp_t* p = &parser_->parser;
  const char* data = reinterpret_cast<const char*>(in.data());
  const size_t n = in.size();
  size_t pos = 0;
  // After a pause llhttp may still owe callbacks that consume no bytes (a message with
  // no body completes right after its headers), so run once more even at the end.
  bool resumed = false;
  while ((pos < n || resumed) && state_ == State::kActive) {
    resumed = false;
    if (in_headers_) phase_base_ = data + pos;
    pause_ = Pause::kNone;
    llhttp_errno_t err = llhttp_execute(p, data + pos, n - pos);
    if (state_ == State::kError) break;  // a callback failed
    if (err == HPE_OK) {
      if (in_headers_) {
        header_bytes_ += static_cast<size_t>(data + n - phase_base_);
        if (header_bytes_ > limits_.max_header_bytes) fail(CodecError::kHttpHeadersTooLarge);
      }
      pos = n;
      break;
    }
    if (err == HPE_PAUSED_UPGRADE) {
      // An Upgrade other than our WebSocket one (e.g. h2c on a POST): stay on HTTP/1.1.
      pos = static_cast<size_t>(llhttp_get_error_pos(p) - data);
      llhttp_resume_after_upgrade(p);
      continue;
    }
    if (err != HPE_PAUSED) {
      fail(err == HPE_INVALID_METHOD ? CodecError::kHttpNotImplemented
                                     : CodecError::kHttpBadRequest);
      break;
    }
    const char* stop = llhttp_get_error_pos(p);
    pos = static_cast<size_t>(stop - data);
    llhttp_resume(p);
    resumed = pause_ == Pause::kHeadersComplete;
    if (pause_ == Pause::kHeadersComplete) {
      header_bytes_ += static_cast<size_t>(stop - phase_base_);
      in_headers_ = false;
      if (header_bytes_ > limits_.max_header_bytes) {
        fail(CodecError::kHttpHeadersTooLarge);
        break;
      }
      finish_headers();
    } else if (pause_ == Pause::kMessageComplete) {
      in_headers_ = true;
      header_bytes_ = 0;
      finish_message(sink);
    }
  }
  if (state_ == State::kUpgraded) return {pos, CodecError::kNone};
  if (state_ == State::kPaused && pos < n) {
    // Too many answers outstanding: keep the rest (one read's worth) until resume().
    stash_.assign(in.begin() + static_cast<std::ptrdiff_t>(pos), in.end());
  }
  return {n, error_};
}

// ---- answers ----------------------------------------------------------------------------

HttpServerCodec::Slot* HttpServerCodec::find(uint64_t id) {
  if (slots_.empty() || id < slots_.front().id) return nullptr;
  uint64_t index = id - slots_.front().id;
  if (index >= slots_.size()) return nullptr;
  Slot& slot = slots_[static_cast<size_t>(index)];
  assert(slot.id == id);
  return slot.answered ? nullptr : &slot;
}

bool HttpServerCodec::respond(uint64_t id, ByteView body, int status) {
  Slot* slot = find(id);
  if (!slot) return false;
  encode_response(status, body, slot->keep_alive, slot->cors, slot->bytes);
  slot->answered = true;
  return true;
}

bool HttpServerCodec::respond_transport_error(uint64_t id, int32_t code) {
  Slot* slot = find(id);
  if (!slot) return false;
  encode_error(http_status_for_transport_error(code), slot->cors, slot->bytes);
  slot->answered = true;
  slot->close_after = true;
  return true;
}

bool HttpServerCodec::respond_raw(uint64_t id, Bytes bytes, bool close_after) {
  Slot* slot = find(id);
  if (!slot) return false;
  slot->bytes = std::move(bytes);
  slot->answered = true;
  slot->close_after = close_after;
  return true;
}

size_t HttpServerCodec::take_output(Bytes& out) {
  size_t before = out.size();
  while (!slots_.empty() && slots_.front().answered && !close_taken_) {
    Slot& slot = slots_.front();
    if (out.empty()) {
      out.swap(slot.bytes);
    } else {
      out.insert(out.end(), slot.bytes.begin(), slot.bytes.end());
    }
    bool close = slot.close_after;
    slots_.pop_front();
    if (close) {
      close_taken_ = true;
      slots_.clear();  // requests after a closing reply are never answered
    }
  }
  return out.size() - before;
}

Bytes HttpServerCodec::take_upgrade_leftover() {
  Bytes out;
  if (state_ == State::kUpgraded) out.swap(stash_);
  return out;
}

bool HttpServerCodec::has_output() const {
  return !close_taken_ && !slots_.empty() && slots_.front().answered;
}

bool HttpServerCodec::should_close() const {
  return close_taken_ || ((state_ == State::kClosing || state_ == State::kError) && slots_.empty());
}

bool HttpServerCodec::wants_read() const {
  return state_ == State::kActive && stash_.empty();
}

void HttpServerCodec::shrink() {
  if (body_.empty()) Bytes().swap(body_);
  if (stash_.empty()) Bytes().swap(stash_);
  if (url_.empty()) std::string().swap(url_);
}

}  // namespace mtedge::codecs::http
