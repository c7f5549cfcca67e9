// The wire mapping of the adapter model (one-to-one) and the checks on backend messages.
#include "backend-adapters/socket/protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace mtedge::backend::socket {
namespace {

Bytes serialize(const google::protobuf::MessageLite& message) {
  std::string text = message.SerializeAsString();
  return Bytes(text.begin(), text.end());
}

Status check(const v1::BackendMessage& message, bool hello_done = true) {
  Bytes bytes = serialize(message);
  v1::BackendMessage out;
  return parse_backend_message(bytes, hello_done, out);
}

v1::BackendMessage frame_to_conn(size_t packet_size) {
  v1::BackendMessage m;
  m.mutable_frame()->set_conn_id(5);
  m.mutable_frame()->set_packet(std::string(packet_size, 'x'));
  return m;
}

TEST(Protocol, ConnInfoMapsOneToOne) {
  ConnInfo info;
  info.id = make_conn_id(3, 77);
  info.transport = codecs::TransportKind::kObfuscated;
  info.framing = codecs::TransportKind::kAbridged;
  info.client_ip = "192.0.2.1";
  info.client_port = 40000;
  info.listener = "main";
  info.dc_id = -2;
  info.secret_label = "ads";
  info.tls = true;
  v1::ConnInfo wire = make_conn_opened(info).conn_opened().info();
  EXPECT_EQ(wire.conn_id(), info.id);
  EXPECT_EQ(wire.transport(), "obfuscated/abridged");
  EXPECT_EQ(wire.framing(), "abridged");
  EXPECT_EQ(wire.client_ip(), info.client_ip);
  EXPECT_EQ(wire.client_port(), info.client_port);
  EXPECT_EQ(wire.listener(), info.listener);
  EXPECT_TRUE(wire.has_dc_id());
  EXPECT_EQ(wire.dc_id(), -2);
  EXPECT_EQ(wire.secret_label(), info.secret_label);
  EXPECT_TRUE(wire.tls());
}

TEST(Protocol, FramesOfEveryKind) {
  const uint8_t packet[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  Frame f;
  f.conn_id = 9;
  f.kind = FrameKind::kEncrypted;
  f.auth_key_id = 0x1122334455667788ull;
  f.quick_ack = true;
  f.packet = packet;
  v1::ClientFrame wire = make_frame(f).frame();
  EXPECT_EQ(wire.kind(), v1::FRAME_KIND_ENCRYPTED);
  EXPECT_EQ(wire.auth_key_id(), f.auth_key_id);
  EXPECT_TRUE(wire.quick_ack());
  EXPECT_EQ(wire.packet(), std::string(packet, packet + sizeof packet));
  EXPECT_FALSE(wire.has_decrypted());

  f.kind = FrameKind::kUnencrypted;
  f.auth_key_id = 0;
  f.quick_ack = false;
  EXPECT_EQ(make_frame(f).frame().kind(), v1::FRAME_KIND_UNENCRYPTED);

  Frame d;
  d.conn_id = 9;
  d.kind = FrameKind::kDecrypted;
  d.auth_key_id = 42;
  d.salt = -5;
  d.session_id = 0x7fffffffffffffffll;
  d.msg_id = 123456789;
  d.seq_no = 3;
  d.body = packet;
  v1::ClientFrame dw = make_frame(d).frame();
  EXPECT_EQ(dw.kind(), v1::FRAME_KIND_DECRYPTED);
  EXPECT_TRUE(dw.packet().empty());
  EXPECT_EQ(dw.decrypted().salt(), -5);
  EXPECT_EQ(dw.decrypted().session_id(), d.session_id);
  EXPECT_EQ(dw.decrypted().msg_id(), d.msg_id);
  EXPECT_EQ(dw.decrypted().seq_no(), 3);
  EXPECT_EQ(dw.decrypted().body().size(), sizeof packet);
}

TEST(Protocol, CloseReasonsAreDistinct) {
  EXPECT_EQ(to_wire(CloseReason::kPeerClosed), v1::CLOSE_REASON_PEER_CLOSED);
  EXPECT_EQ(to_wire(CloseReason::kShutdown), v1::CLOSE_REASON_SHUTDOWN);
  EXPECT_EQ(to_wire(CloseReason::kAdminKill), v1::CLOSE_REASON_ADMIN_KILL);
  EXPECT_EQ(make_conn_closed(4, v1::CLOSE_REASON_REBOUND).conn_closed().reason(),
            v1::CLOSE_REASON_REBOUND);
}

TEST(Protocol, DelimitedRoundTrip) {
  Bytes stream;
  append_delimited(make_credit(300), stream);
  append_delimited(make_conn_closed(1, v1::CLOSE_REASON_TIMEOUT), stream);
  struct Sink : MessageSink {
    std::vector<v1::GatewayMessage> got;
    bool on_message(ByteView m) override {
      got.emplace_back();
      return got.back().ParseFromArray(m.data(), static_cast<int>(m.size()));
    }
  } sink;
  DelimitedReader reader(1 << 20);
  ASSERT_EQ(reader.feed(stream, sink), DelimitedError::kNone);
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0].credit().messages(), 300u);
  EXPECT_EQ(sink.got[1].conn_closed().reason(), v1::CLOSE_REASON_TIMEOUT);
}

TEST(Protocol, HelloMustComeFirstWithOurVersion) {
  v1::BackendMessage hello;
  hello.mutable_hello()->set_version(kProtocolVersion);
  EXPECT_TRUE(check(hello, false));
  EXPECT_FALSE(check(hello, true)) << "a second hello";
  hello.mutable_hello()->set_version(2);
  EXPECT_FALSE(check(hello, false));
  EXPECT_FALSE(check(frame_to_conn(8), false)) << "a frame before hello";
}

TEST(Protocol, AuthKeyCreatedOnlyForBackendsThatAskForIt) {
  // The gateway offers it; a backend asks for it in its HelloAck.
  const v1::GatewayMessage hello = make_hello({});
  const auto& offered = hello.hello().capabilities();
  EXPECT_NE(std::find(offered.begin(), offered.end(), "auth-key-created"), offered.end());
  v1::HelloAck ack;
  EXPECT_FALSE(has_capability(ack, kAuthKeyCreatedCapability));
  ack.add_capabilities("auth-key");
  ack.add_capabilities("auth-key-created-v2");
  EXPECT_FALSE(has_capability(ack, kAuthKeyCreatedCapability)) << "whole strings only";
  ack.add_capabilities("auth-key-created");
  EXPECT_TRUE(has_capability(ack, kAuthKeyCreatedCapability));

  // The key id and a negative salt survive the wire unchanged.
  Bytes wire = serialize(make_auth_key_created(0xfedcba9876543210ull, -2));
  v1::GatewayMessage back;
  ASSERT_TRUE(back.ParseFromArray(wire.data(), static_cast<int>(wire.size())));
  ASSERT_EQ(back.kind_case(), v1::GatewayMessage::kAuthKeyCreated);
  EXPECT_EQ(back.auth_key_created().auth_key_id(), 0xfedcba9876543210ull);
  EXPECT_EQ(back.auth_key_created().server_salt(), -2);
}

TEST(Protocol, FrameChecks) {
  EXPECT_TRUE(check(frame_to_conn(8)));
  EXPECT_TRUE(check(frame_to_conn(1024)));
  EXPECT_FALSE(check(frame_to_conn(4))) << "shorter than an auth_key_id";
  EXPECT_FALSE(check(frame_to_conn(10))) << "not whole 32-bit words";
  v1::BackendMessage no_target;
  no_target.mutable_frame()->set_packet(std::string(8, 'x'));
  EXPECT_FALSE(check(no_target));
  v1::BackendMessage both = frame_to_conn(8);
  both.mutable_frame()->mutable_message()->set_body("x");
  EXPECT_FALSE(check(both));
  v1::BackendMessage neither;
  neither.mutable_frame()->set_conn_id(1);
  EXPECT_FALSE(check(neither));
  v1::BackendMessage session;
  session.mutable_frame()->mutable_session()->set_auth_key_id(0);
  session.mutable_frame()->set_packet(std::string(8, 'x'));
  EXPECT_FALSE(check(session)) << "a session needs an auth key";
}

TEST(Protocol, TransportErrorCodes) {
  for (int32_t code : {-404, -429, -444}) {
    v1::BackendMessage m;
    m.mutable_transport_error()->set_code(code);
    EXPECT_TRUE(check(m)) << code;
  }
  v1::BackendMessage bad;
  bad.mutable_transport_error()->set_code(-1);
  EXPECT_FALSE(check(bad));
}

TEST(Protocol, GarbageAndEmpty) {
  v1::BackendMessage out;
  const uint8_t garbage[] = {0xff, 0xff, 0xff};
  EXPECT_FALSE(parse_backend_message(garbage, true, out));
  EXPECT_FALSE(parse_backend_message(ByteView(), true, out)) << "a message of no kind";
}

TEST(Protocol, CreditCosts) {
  v1::BackendMessage credit;
  credit.mutable_credit()->set_messages(1);
  EXPECT_FALSE(costs_credit(credit));
  EXPECT_TRUE(costs_credit(frame_to_conn(8)));
  v1::BackendMessage ack;
  ack.mutable_quick_ack()->set_token(1);
  EXPECT_TRUE(costs_credit(ack));
}

}  // namespace
}  // namespace mtedge::backend::socket
