// Unencrypted MTProto messages (docs/spec/wire-notes.md §7.1):
//   auth_key_id = 0 (8 bytes) | msg_id i64 | message_data_length i32 | message_data
// Used only by the DH handshake. Parsing is bounds-checked and lenient where real clients
// need it: TDLib sends msg_id 0 (and 1 in its proxy ping) and counts random padding after the
// body in message_data_length; bytes after the declared length are ignored too.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::mtproto {

inline constexpr size_t kUnencryptedHeaderSize = 20;

struct UnencryptedMessage {
  uint64_t msg_id = 0;
  // message_data as declared by its length (may include client padding after the object).
  ByteView body;
  uint32_t constructor = 0;  // first 4 bytes of body
};

// Parses a whole transport payload. Fails if: shorter than 24 bytes, auth_key_id != 0,
// message_data_length < 4 or negative or larger than the bytes present. msg_id is not checked
// (TDLib's 0/1 are accepted); callers that care can look at it.
Result<UnencryptedMessage> parse_unencrypted(ByteView payload);

// Builds a server payload: 0 | msg_id | len(body) | body. `msg_id` should be a server id
// (odd: % 4 == 1 for responses), see make_server_msg_id.
Bytes build_unencrypted(uint64_t msg_id, ByteView body);

// A server msg_id for a response at unix time `unix_ms`/1000: ~ unixtime * 2^32, % 4 == 1,
// strictly greater than `previous` (pass the last id sent on this connection, or 0).
uint64_t make_server_msg_id(uint64_t unix_ms, uint64_t previous);

}  // namespace mtedge::mtproto
