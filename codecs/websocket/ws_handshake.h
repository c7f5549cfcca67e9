// The WebSocket opening handshake (RFC 6455 §4.2), server side, for /apiws upgrades the
// HTTP codec reports. The MTProto web transport offers the `binary` subprotocol
// (docs/spec/wire-notes.md §5); the reply echoes it when offered.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::codecs::websocket {

inline constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
inline constexpr std::string_view kProtocol = "binary";

// base64(SHA-1(key + GUID)).
std::string compute_accept(std::string_view key);

// True when the comma-separated Sec-WebSocket-Protocol list contains `binary`.
bool offers_binary(std::string_view protocols);

// A Sec-WebSocket-Key is valid when it is base64 of exactly 16 bytes.
bool valid_key(std::string_view key);

// Validates the upgrade (key: base64 of 16 bytes; version: 13) and appends the
// `101 Switching Protocols` reply, with `Sec-WebSocket-Protocol: binary` when offered. A
// client that offers no protocol is accepted and the reply names none; a client that
// offers only other protocols gets no protocol either (it may then fail the connection, as
// RFC 6455 lets it). On error nothing is appended: answer HTTP 400 and close (for a bad
// version the reply should carry `Sec-WebSocket-Version: 13`; see encode_version_error()).
Status build_handshake_response(std::string_view key, std::string_view protocols,
                                std::string_view version, Bytes& out);

// 426 Upgrade Required with `Sec-WebSocket-Version: 13`, Connection: close.
void encode_version_error(Bytes& out);

// Client side (tests, load generator): the upgrade request for `path`, with the
// `binary` subprotocol.
void encode_upgrade_request(std::string_view path, std::string_view host, std::string_view key,
                            Bytes& out);

}  // namespace mtedge::codecs::websocket
