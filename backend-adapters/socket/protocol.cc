#include "backend-adapters/socket/protocol.h"

#include <fmt/format.h>

namespace mtedge::backend::socket {
namespace {

constexpr size_t kAuthKeyIdBytes = 8;
constexpr size_t kMaxCloseReasonBytes = 256;

v1::FrameKind to_wire(FrameKind kind) {
  switch (kind) {
    case FrameKind::kUnencrypted: return v1::FRAME_KIND_UNENCRYPTED;
    case FrameKind::kEncrypted: return v1::FRAME_KIND_ENCRYPTED;
    case FrameKind::kDecrypted: return v1::FRAME_KIND_DECRYPTED;
  }
  return v1::FRAME_KIND_UNSPECIFIED;
}

Status check_frame(const v1::ServerFrame& frame) {
  if (frame.target_case() == v1::ServerFrame::TARGET_NOT_SET) {
    return Status::error("frame without a target (conn_id or session)");
  }
  if (frame.target_case() == v1::ServerFrame::kSession && frame.session().auth_key_id() == 0) {
    return Status::error("frame to a session with auth_key_id 0");
  }
  bool has_packet = !frame.packet().empty();
  if (has_packet == frame.has_message()) {
    return Status::error("frame must carry exactly one of packet and message");
  }
  if (has_packet && (frame.packet().size() < kAuthKeyIdBytes || frame.packet().size() % 4 != 0)) {
    return Status::error(
        fmt::format("frame packet of {} bytes is not whole 32-bit words of at least an auth_key_id",
                    frame.packet().size()));
  }
  return Status::ok();
}

}  // namespace

v1::CloseReason to_wire(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed: return v1::CLOSE_REASON_PEER_CLOSED;
    case CloseReason::kProtocolError: return v1::CLOSE_REASON_PROTOCOL_ERROR;
    case CloseReason::kTimeout: return v1::CLOSE_REASON_TIMEOUT;
    case CloseReason::kLimit: return v1::CLOSE_REASON_LIMIT;
    case CloseReason::kAdapter: return v1::CLOSE_REASON_ADAPTER;
    case CloseReason::kShutdown: return v1::CLOSE_REASON_SHUTDOWN;
    case CloseReason::kAdminKill: return v1::CLOSE_REASON_ADMIN_KILL;
  }
  return v1::CLOSE_REASON_UNSPECIFIED;
}

v1::GatewayMessage make_hello(const HelloParams& params) {
  v1::GatewayMessage message;
  v1::Hello* hello = message.mutable_hello();
  hello->set_min_version(kProtocolVersion);
  hello->set_max_version(kProtocolVersion);
  hello->set_gateway_id(params.gateway_id);
  hello->set_worker(params.worker);
  for (const char* capability : kCapabilities) hello->add_capabilities(capability);
  hello->set_initial_credit(params.initial_credit);
  hello->set_max_message_bytes(params.max_message_bytes);
  hello->set_endpoint(params.endpoint);
  return message;
}

v1::GatewayMessage make_conn_opened(const ConnInfo& info) {
  v1::GatewayMessage message;
  v1::ConnInfo* out = message.mutable_conn_opened()->mutable_info();
  out->set_conn_id(info.id);
  // mtedge.v1 carries the transport as text: the path logs print, and the framing's name.
  out->set_transport(transport_path(info));
  out->set_framing(std::string(codecs::transport_name(info.framing)));
  out->set_client_ip(info.client_ip);
  out->set_client_port(info.client_port);
  out->set_listener(info.listener);
  out->set_has_dc_id(info.dc_id.has_value());
  out->set_dc_id(info.dc_id.value_or(0));
  out->set_secret_label(info.secret_label);
  out->set_tls(info.tls);
  return message;
}

v1::GatewayMessage make_frame(const Frame& frame) {
  v1::GatewayMessage message;
  v1::ClientFrame* out = message.mutable_frame();
  out->set_conn_id(frame.conn_id);
  out->set_kind(to_wire(frame.kind));
  out->set_auth_key_id(frame.auth_key_id);
  out->set_quick_ack(frame.quick_ack);
  if (frame.kind == FrameKind::kDecrypted) {
    v1::DecryptedMessage* decrypted = out->mutable_decrypted();
    decrypted->set_salt(frame.salt);
    decrypted->set_session_id(frame.session_id);
    decrypted->set_msg_id(frame.msg_id);
    decrypted->set_seq_no(frame.seq_no);
    decrypted->set_body(frame.body.data(), frame.body.size());
  } else {
    out->set_packet(frame.packet.data(), frame.packet.size());
  }
  return message;
}

v1::GatewayMessage make_conn_closed(ConnId conn, v1::CloseReason reason) {
  v1::GatewayMessage message;
  message.mutable_conn_closed()->set_conn_id(conn);
  message.mutable_conn_closed()->set_reason(reason);
  return message;
}

v1::GatewayMessage make_credit(uint32_t messages) {
  v1::GatewayMessage message;
  message.mutable_credit()->set_messages(messages);
  return message;
}

v1::GatewayMessage make_auth_key_created(uint64_t auth_key_id, int64_t server_salt) {
  v1::GatewayMessage message;
  v1::AuthKeyCreated* out = message.mutable_auth_key_created();
  out->set_auth_key_id(auth_key_id);
  out->set_server_salt(server_salt);
  return message;
}

bool has_capability(const v1::HelloAck& hello, std::string_view capability) {
  for (const std::string& listed : hello.capabilities()) {
    if (listed == capability) return true;
  }
  return false;
}

void append_delimited(const google::protobuf::MessageLite& message, Bytes& out) {
  size_t size = message.ByteSizeLong();
  append_length(out, size);
  size_t at = out.size();
  out.resize(at + size);
  message.SerializeWithCachedSizesToArray(out.data() + at);
}

Status parse_backend_message(ByteView bytes, bool hello_done, v1::BackendMessage& out) {
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::error("message does not parse as mtedge.v1.BackendMessage");
  }
  using Kind = v1::BackendMessage::KindCase;
  Kind kind = out.kind_case();
  if (kind == Kind::KIND_NOT_SET) return Status::error("message of no known kind");
  if (!hello_done) {
    if (kind != Kind::kHello) return Status::error("first message is not hello");
    if (out.hello().version() != kProtocolVersion) {
      return Status::error(fmt::format("unsupported protocol version {} (speaks {})",
                                       out.hello().version(), kProtocolVersion));
    }
    return Status::ok();
  }
  switch (kind) {
    case Kind::kHello: return Status::error("second hello");
    case Kind::kFrame: return check_frame(out.frame());
    case Kind::kTransportError: {
      int32_t code = out.transport_error().code();
      if (code != -404 && code != -429 && code != -444) {
        return Status::error(fmt::format("transport error {} (want -404, -429 or -444)", code));
      }
      return Status::ok();
    }
    case Kind::kClose:
      if (out.close().reason().size() > kMaxCloseReasonBytes) {
        return Status::error("close reason longer than 256 bytes");
      }
      return Status::ok();
    case Kind::kQuickAck:
    case Kind::kCredit:
    case Kind::KIND_NOT_SET: return Status::ok();
  }
  return Status::ok();
}

bool costs_credit(const v1::BackendMessage& message) {
  using Kind = v1::BackendMessage::KindCase;
  return message.kind_case() != Kind::kHello && message.kind_case() != Kind::kCredit;
}

}  // namespace mtedge::backend::socket
