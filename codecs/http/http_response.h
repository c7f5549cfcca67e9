// HTTP responses of the MTProto HTTP transport (docs/spec/wire-notes.md §4): the exact header set
// every reply carries, the error replies of the codec error table, and the mapping from MTProto
// transport error codes to HTTP statuses.
//
// Header order is part of the contract: Content-Length is always the LAST header, followed
// directly by the blank line. Telethon 1.25's HTTP reader scans for the `Content-Length: `
// line and then skips exactly two bytes before the body.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"

namespace mtedge::codecs::http {

// Appends `HTTP/1.1 <status> <reason>` with Connection, Content-Type:
// application/octet-stream, Pragma: no-cache, Cache-Control: no-store, the CORS set when
// `cors`, and Content-Length: body.size(), then the body.
void encode_response(int status, ByteView body, bool keep_alive, bool cors, Bytes& out);

// An error reply: `status` with an empty body and `Connection: close` (the connection is
// closed after it). CORS headers on web paths so a browser can see the status.
void encode_error(int status, bool cors, Bytes& out);

// The answer to an OPTIONS preflight: 200, Content-Type: text/plain, CORS set when `cors`,
// Content-Length: 0.
void encode_options_response(bool keep_alive, bool cors, Bytes& out);

// HTTP status of a codec error (its table row's code for kHttp* rows; 429 for
// kBufferLimit/kFrameTooLarge; 400 for anything else).
int http_status_for_error(CodecError error);

// HTTP status for an MTProto transport error code (docs/spec/wire-notes.md §1.6: over HTTP the
// error is the HTTP status itself): -code when 100 <= -code <= 599 (-404 -> 404, -429 -> 429, -444
// -> 444, -403 -> 403), else 500. Sent as an error reply: empty body, Connection: close.
int http_status_for_transport_error(int32_t code);

// Reason phrase for a status ("OK", "Not Found", ...; "Error" for unknown ones).
std::string_view reason_phrase(int status);

}  // namespace mtedge::codecs::http
