// The mtedge.v1 messages (proto/mtedge/v1/backend.proto) built from, and checked against,
// the adapter API's model. Sans-io: no sockets, no logging.
//
// ConnInfo, Frame and CloseReason map one-to-one onto the wire messages; keep them so.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backend-adapters/api/frame.h"
#include "backend-adapters/socket/delimited.h"
#include "base/status.h"
#include "mtedge/v1/backend.pb.h"

namespace mtedge::backend::socket {

namespace v1 = ::mtedge::v1;

inline constexpr uint32_t kProtocolVersion = 1;
// What this gateway offers in Hello.capabilities.
inline constexpr const char* kAuthKeyCreatedCapability = "auth-key-created";
inline constexpr const char* kCapabilities[] = {"session-target", "undelivered",
                                                kAuthKeyCreatedCapability};

struct HelloParams {
  std::string gateway_id;
  std::string endpoint;
  unsigned worker = 0;
  uint32_t initial_credit = 0;
  uint32_t max_message_bytes = 0;
};

v1::GatewayMessage make_hello(const HelloParams& params);
v1::GatewayMessage make_conn_opened(const ConnInfo& info);
v1::GatewayMessage make_frame(const Frame& frame);
v1::GatewayMessage make_conn_closed(ConnId conn, v1::CloseReason reason);
v1::GatewayMessage make_credit(uint32_t messages);
v1::GatewayMessage make_auth_key_created(uint64_t auth_key_id, int64_t server_salt);
// Whether the backend listed `capability` in its HelloAck.
bool has_capability(const v1::HelloAck& hello, std::string_view capability);
v1::CloseReason to_wire(CloseReason reason);

// Appends `message` in delimited form (varint length, then the message).
void append_delimited(const google::protobuf::MessageLite& message, Bytes& out);

// Parses one backend message and checks what a backend may legally send: exactly one kind,
// HelloAck first and only first with a version this gateway speaks, frames with a target
// and exactly one of packet (whole 32-bit words, at least an auth_key_id) or message,
// transport errors -404/-429/-444 only. `hello_done`: a HelloAck was already accepted.
Status parse_backend_message(ByteView bytes, bool hello_done, v1::BackendMessage& out);

// Whether a message of this kind costs the backend one credit.
bool costs_credit(const v1::BackendMessage& message);

}  // namespace mtedge::backend::socket
