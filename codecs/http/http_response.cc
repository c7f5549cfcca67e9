#include "codecs/http/http_response.h"

#include <charconv>

namespace mtedge::codecs::http {
namespace {

constexpr std::string_view kCorsHeaders =
    "Access-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Methods: POST, OPTIONS\r\n"
    "Access-Control-Allow-Headers: origin, content-type\r\n"
    "Access-Control-Max-Age: 1728000\r\n";

void put(Bytes& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

void put_number(Bytes& out, uint64_t value) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out.insert(out.end(), buf, r.ptr);
}

void put_status_line(Bytes& out, int status) {
  put(out, "HTTP/1.1 ");
  put_number(out, static_cast<uint64_t>(status));
  put(out, " ");
  put(out, reason_phrase(status));
  put(out, "\r\n");
}

void put_headers(Bytes& out, int status, std::string_view content_type, size_t length,
                 bool keep_alive, bool cors) {
  put_status_line(out, status);
  put(out, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  put(out, "Content-Type: ");
  put(out, content_type);
  put(out, "\r\nPragma: no-cache\r\nCache-Control: no-store\r\n");
  if (cors) put(out, kCorsHeaders);
  put(out, "Content-Length: ");  // last header: see the header comment
  put_number(out, length);
  put(out, "\r\n\r\n");
}

}  // namespace

void encode_response(int status, ByteView body, bool keep_alive, bool cors, Bytes& out) {
  out.reserve(out.size() + 256 + body.size());
  put_headers(out, status, "application/octet-stream", body.size(), keep_alive, cors);
  out.insert(out.end(), body.begin(), body.end());
}

void encode_error(int status, bool cors, Bytes& out) {
  put_headers(out, status, "application/octet-stream", 0, false, cors);
}

void encode_options_response(bool keep_alive, bool cors, Bytes& out) {
  put_headers(out, 200, "text/plain", 0, keep_alive, cors);
}

int http_status_for_error(CodecError error) {
  const ErrorInfo& info = error_info(error);
  if (info.action == ErrorAction::kHttpErrorThenClose) return info.code;
  if (error == CodecError::kBufferLimit || error == CodecError::kFrameTooLarge) return 429;
  return 400;
}

int http_status_for_transport_error(int32_t code) {
  int64_t status = -static_cast<int64_t>(code);
  return (status >= 100 && status <= 599) ? static_cast<int>(status) : 500;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 444: return "No Response";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

}  // namespace mtedge::codecs::http
