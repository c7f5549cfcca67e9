#include "codecs/http/http_client_codec.h"

#include <llhttp.h>

#include <charconv>

namespace mtedge::codecs::http {

void encode_request(std::string_view path, std::string_view host, ByteView body, bool keep_alive,
                    Bytes& out) {
  auto put = [&out](std::string_view s) { out.insert(out.end(), s.begin(), s.end()); };
  out.reserve(out.size() + 128 + path.size() + host.size() + body.size());
  put("POST ");
  put(path);
  put(" HTTP/1.1\r\nHost: ");
  put(host);
  put(keep_alive ? "\r\nConnection: keep-alive\r\nContent-Length: "
                 : "\r\nConnection: close\r\nContent-Length: ");
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), body.size());
  out.insert(out.end(), buf, r.ptr);
  put("\r\n\r\n");
  out.insert(out.end(), body.begin(), body.end());
}

struct HttpResponseParser::Parser {
  llhttp_t parser;
  llhttp_settings_t settings;
};

struct ClientCallbacks {
  static HttpResponseParser& self(llhttp_t* p) {
    return *static_cast<HttpResponseParser*>(p->data);
  }
  static int begin(llhttp_t* p) { return self(p).on_message_begin(); }
  static int span(llhttp_t* p, const char*, size_t n) { return self(p).count_header(n) ? 0 : -1; }
  static int headers(llhttp_t* p) { return self(p).on_headers_complete(); }
  static int body(llhttp_t* p, const char* at, size_t n) { return self(p).on_body(at, n); }
  static int complete(llhttp_t* p) { return self(p).on_message_complete(); }
};

HttpResponseParser::HttpResponseParser(ClientLimits limits)
    : limits_(limits), parser_(std::make_unique<Parser>()) {
  llhttp_settings_init(&parser_->settings);
  auto& s = parser_->settings;
  s.on_message_begin = &ClientCallbacks::begin;
  s.on_status = &ClientCallbacks::span;
  s.on_version = &ClientCallbacks::span;
  s.on_header_field = &ClientCallbacks::span;
  s.on_header_value = &ClientCallbacks::span;
  s.on_headers_complete = &ClientCallbacks::headers;
  s.on_body = &ClientCallbacks::body;
  s.on_message_complete = &ClientCallbacks::complete;
  llhttp_init(&parser_->parser, HTTP_RESPONSE, &parser_->settings);
  parser_->parser.data = this;
}

HttpResponseParser::~HttpResponseParser() = default;

bool HttpResponseParser::count_header(size_t length) {
  header_bytes_ += length;
  if (header_bytes_ <= limits_.max_header_bytes) return true;
  error_ = CodecError::kBadServerPacket;
  return false;
}

int HttpResponseParser::on_message_begin() {
  header_bytes_ = 0;
  status_ = 0;
  content_length_ = 0;
  body_.clear();
  body_view_ = {};
  body_direct_ = false;
  return 0;
}

int HttpResponseParser::on_headers_complete() {
  llhttp_t* p = &parser_->parser;
  status_ = p->status_code;
  keep_alive_ = llhttp_should_keep_alive(p) != 0;
  content_length_ = p->content_length;
  if (!(p->flags & F_CONTENT_LENGTH) || (p->flags & F_TRANSFER_ENCODING) ||
      content_length_ > limits_.max_body_bytes) {
    error_ = CodecError::kBadServerPacket;
    return -1;
  }
  return 0;
}

int HttpResponseParser::on_body(const char* at, size_t length) {
  auto* bytes = reinterpret_cast<uint8_t*>(const_cast<char*>(at));
  if (body_.empty() && !body_direct_ && length == content_length_) {
    body_view_ = MutableByteView(bytes, length);
    body_direct_ = true;
    return 0;
  }
  body_.insert(body_.end(), bytes, bytes + length);
  return 0;
}

int HttpResponseParser::on_message_complete() {
  Response r;
  r.status = status_;
  r.keep_alive = keep_alive_;
  r.body = body_direct_ ? body_view_ : MutableByteView(body_);
  bool go_on = sink_->on_response(r);
  body_.clear();
  body_view_ = {};
  body_direct_ = false;
  if (!go_on) {
    stopped_ = true;
    return HPE_PAUSED;
  }
  return 0;
}

CodecError HttpResponseParser::feed(MutableByteView in, ResponseSink& sink) {
  if (error_ != CodecError::kNone || stopped_ || in.empty()) return error_;
  sink_ = &sink;
  llhttp_errno_t err =
      llhttp_execute(&parser_->parser, reinterpret_cast<const char*>(in.data()), in.size());
  sink_ = nullptr;
  if (err == HPE_OK || (err == HPE_PAUSED && stopped_)) return error_;
  if (error_ == CodecError::kNone) error_ = CodecError::kBadServerPacket;
  return error_;
}

}  // namespace mtedge::codecs::http
