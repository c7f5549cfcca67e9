// The one table of codec errors. Each error has a stable name (used in logs and as the
// counter name), and exactly one action the connection takes. Errors are sticky: once a
// codec reports one, it reports the same error for every later call.
#pragma once

#include <cstdint>
#include <string_view>

namespace mtedge::codecs {

enum class ErrorAction : uint8_t {
  kNone,
  kClose,                    // close the connection now, send nothing
  kTransportErrorThenClose,  // send the transport's error packet with `code`, then close
  kHttpErrorThenClose,       // answer HTTP status `code` (with CORS where due), then close
  kWebSocketClose,           // send a WebSocket close frame with status `code`, then close
  kFrontOrClose,  // splice to the fronting address if configured, else close after a delay
};

// X(name, counter name, action, code)
#define MTEDGE_CODEC_ERRORS(X)                                                \
  X(kNone, "none", kNone, 0)                                                  \
  /* framing, every TCP transport */                                          \
  X(kFrameTooLarge, "frame_too_large", kTransportErrorThenClose, -429)        \
  X(kBufferLimit, "buffer_limit", kTransportErrorThenClose, -429)             \
  X(kBadLength, "bad_length", kClose, 0)                                      \
  X(kOverlongLength, "overlong_length", kClose, 0)                            \
  X(kBadCrc, "bad_crc", kClose, 0)                                            \
  X(kBadSeqno, "bad_seqno", kClose, 0)                                        \
  X(kBadServerPacket, "bad_server_packet", kClose, 0)                         \
  /* detection */                                                             \
  X(kUnknownTransport, "unknown_transport", kFrontOrClose, 0)                 \
  /* obfuscated2 and MTProxy secrets */                                       \
  X(kObfuscatedBadTag, "obfuscated_bad_tag", kFrontOrClose, 0)                \
  X(kObfuscatedTagNotAllowed, "obfuscated_tag_not_allowed", kFrontOrClose, 0) \
  X(kObfuscatedReplay, "obfuscated_replay", kFrontOrClose, 0)                 \
  /* fake-TLS */                                                              \
  X(kTlsBadRecord, "tls_bad_record", kClose, 0)                               \
  X(kTlsBadHello, "tls_bad_hello", kFrontOrClose, 0)                          \
  X(kTlsBadDigest, "tls_bad_digest", kFrontOrClose, 0)                        \
  X(kTlsBadTimestamp, "tls_bad_timestamp", kFrontOrClose, 0)                  \
  X(kTlsReplay, "tls_replay", kFrontOrClose, 0)                               \
  /* HTTP */                                                                  \
  X(kHttpBadRequest, "http_bad_request", kHttpErrorThenClose, 400)            \
  X(kHttpNotFound, "http_not_found", kHttpErrorThenClose, 404)                \
  X(kHttpLengthRequired, "http_length_required", kHttpErrorThenClose, 411)    \
  X(kHttpPayloadTooLarge, "http_payload_too_large", kHttpErrorThenClose, 413) \
  X(kHttpUriTooLong, "http_uri_too_long", kHttpErrorThenClose, 414)           \
  X(kHttpHeadersTooLarge, "http_headers_too_large", kHttpErrorThenClose, 431) \
  X(kHttpNotImplemented, "http_not_implemented", kHttpErrorThenClose, 501)    \
  /* WebSocket */                                                             \
  X(kWsProtocolError, "ws_protocol_error", kWebSocketClose, 1002)             \
  X(kWsUnsupportedData, "ws_unsupported_data", kWebSocketClose, 1003)         \
  X(kWsMessageTooBig, "ws_message_too_big", kWebSocketClose, 1009)

enum class CodecError : uint8_t {
#define MTEDGE_CODEC_ERROR_ENUM(name, text, action, code) name,
  MTEDGE_CODEC_ERRORS(MTEDGE_CODEC_ERROR_ENUM)
#undef MTEDGE_CODEC_ERROR_ENUM
      kCount
};

struct ErrorInfo {
  std::string_view name;
  ErrorAction action;
  int32_t code;  // transport error code, HTTP status or WebSocket close code, per action
};

const ErrorInfo& error_info(CodecError error);
inline std::string_view error_name(CodecError error) {
  return error_info(error).name;
}
inline constexpr size_t kCodecErrorCount = static_cast<size_t>(CodecError::kCount);

}  // namespace mtedge::codecs
