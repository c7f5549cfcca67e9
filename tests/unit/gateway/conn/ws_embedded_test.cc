// The whole stack over WebSocket, driven by Boost.Beast as an independent client: a real
// Gateway in-process (config parsed with the built-in adapter registry) with edge
// decryption and the embedded backend. Beast speaks obfuscated2 + abridged inside binary
// messages on /apiws (subprotocol `binary`); inside that the client runs a full MTProto
// auth-key exchange (unencrypted packets), then sends an encrypted ping and expects the
// pong (after new_session_created and/or bad_server_salt, possibly in a msg_container).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend-adapters/api/adapter_factory.h"
#include "codecs/core/transport_stack.h"
#include "codecs/detector/detector.h"
#include "codecs/obfuscated/obfuscated2.h"
#include "crypto/random.h"
#include "crypto/rsa.h"
#include "gateway/edge/edge_crypto.h"
#include "gateway/runtime/adapters.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/gateway.h"
#include "mtproto/auth_keys/auth_key_store.h"
#include "mtproto/handshake/handshake_client.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/message/message.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"
#include "tests/support/beast_ws_client.h"
#include "tests/support/keys.h"
#include "tests/support/vectors.h"

namespace mtedge::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bws = boost::beast::websocket;
using tcp = net::ip::tcp;
using mtedge::Bytes;

// MTProto service constructors (docs/spec/wire-notes.md §8.1).
constexpr uint32_t kPing = 0x7abe77ec;
constexpr uint32_t kPong = 0x347773c5;
constexpr uint32_t kNewSessionCreated = 0x9ec20908;
constexpr uint32_t kBadServerSalt = 0xedab447b;
constexpr uint32_t kMsgContainer = 0x73f1f8dc;

const char* const kConfig = R"toml(
[gateway]
workers = 1
shutdown_timeout_ms = 2000

[[listener]]
name = "ws"
address = "127.0.0.1:0"
transports = ["websocket"]

[crypto]
edge_decryption = true
rsa_private_keys = [")toml" MTEDGE_VECTORS_DIR R"toml(/test_rsa_2048.pem"]
dc_id = 2

[backend]
type = "embedded"

[backend.embedded]
this_dc = 2
advertised_ip = "127.0.0.1"
advertised_port = 8888
)toml";

using test::BeastWsClient;
using Collect = test::CollectSink;

// Client msg_ids: unix time in the high half, strictly increasing, divisible by 4.
class MsgIds {
 public:
  uint64_t next() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const uint64_t secs =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
    uint64_t id = (secs << 32) | (static_cast<uint64_t>(++counter_) << 2);
    if (id <= last_) id = last_ + 4;
    last_ = id;
    return id;
  }

 private:
  uint64_t last_ = 0;
  uint32_t counter_ = 0;
};

Bytes unencrypted_body(const Bytes& packet) {
  auto message = mtproto::parse_unencrypted(packet);
  EXPECT_TRUE(message.is_ok()) << message.message();
  if (!message.is_ok()) return {};
  return Bytes(message->body.begin(), message->body.end());
}

// What the client learns from one server message body (recursing into containers).
struct Answers {
  bool pong = false;
  uint64_t pong_msg_id = 0;
  std::optional<uint64_t> new_salt;  // bad_server_salt
  bool new_session = false;
  std::vector<uint32_t> constructors;
};

void inspect(ByteView body, uint64_t ping_id, Answers& answers) {
  mtproto::TlReader r(body);
  const uint32_t id = r.read_uint32();
  if (!r.ok()) return;
  answers.constructors.push_back(id);
  if (id == kMsgContainer) {
    const int32_t count = r.read_int32();
    for (int32_t i = 0; i < count && r.ok(); ++i) {
      r.read_uint64();  // msg_id
      r.read_int32();   // seqno
      const int32_t size = r.read_int32();
      if (!r.ok() || size < 0 || static_cast<size_t>(size) > r.remaining()) return;
      ByteView inner = r.rest().subspan(0, static_cast<size_t>(size));
      inspect(inner, ping_id, answers);
      for (int32_t skipped = 0; skipped < size; skipped += 4) r.read_int32();
    }
  } else if (id == kPong) {
    const uint64_t msg_id = r.read_uint64();
    const uint64_t got_ping_id = r.read_uint64();
    if (r.ok() && got_ping_id == ping_id) {
      answers.pong = true;
      answers.pong_msg_id = msg_id;
    }
  } else if (id == kBadServerSalt) {
    r.read_uint64();  // bad_msg_id
    r.read_int32();   // bad_msg_seqno
    r.read_int32();   // error_code
    const uint64_t salt = r.read_uint64();
    if (r.ok()) answers.new_salt = salt;
  } else if (id == kNewSessionCreated) {
    answers.new_session = true;
  }
}

TEST(GatewayWebSocketEmbedded, BeastAuthKeyExchangeAndPing) {
  auto edge = std::make_shared<EdgeCrypto>();
  backend::AdapterRegistry registry;
  register_builtin_adapters(registry, [edge] { return edge->store(); });
  if (!registry.make("embedded")) GTEST_SKIP() << "embedded adapter not built";
  Result<Config> config = parse_config(kConfig, registry);
  ASSERT_TRUE(config.is_ok()) << config.message();
  config->edge = edge;
  Gateway gw(std::move(*config));
  Status started = gw.start();
  ASSERT_TRUE(started.is_ok()) << started.message();

  BeastWsClient client(gw.bound_port(0));
  EXPECT_EQ(client.protocol(), "binary");
  MsgIds msg_ids;

  // The auth-key exchange: unencrypted req_pq_multi, req_DH_params, set_client_DH_params.
  auto rsa = crypto::RsaPrivateKey::from_pem_file(
      mtedge::test::vector_path(mtedge::test::kTestRsaKeyFile));
  ASSERT_TRUE(rsa.is_ok()) << rsa.message();
  mtproto::HandshakeClientOptions options;
  options.server_key = rsa->public_key();
  options.dc = 2;
  mtproto::HandshakeClient handshake(options);

  auto exchange = [&](const Bytes& query) -> Bytes {
    client.send(mtproto::build_unencrypted(msg_ids.next(), query));
    Collect sink;
    EXPECT_TRUE(client.receive(sink));
    EXPECT_TRUE(sink.errors.empty()) << (sink.errors.empty() ? 0 : sink.errors[0]);
    if (sink.packets.size() != 1u) {
      ADD_FAILURE() << "expected one packet, got " << sink.packets.size();
      return {};
    }
    return unencrypted_body(sink.packets[0]);
  };

  auto req_dh = handshake.on_res_pq(exchange(handshake.req_pq()));
  ASSERT_TRUE(req_dh.is_ok()) << req_dh.message();
  auto set_dh = handshake.on_server_dh_params(exchange(*req_dh));
  ASSERT_TRUE(set_dh.is_ok()) << set_dh.message();
  auto gen = handshake.on_dh_gen(exchange(*set_dh));
  ASSERT_TRUE(gen.is_ok()) << gen.message();
  ASSERT_EQ(gen->kind, mtproto::HandshakeClient::GenResult::Kind::kOk);
  const mtproto::AuthKey& key = handshake.auth_key();
  ASSERT_NE(edge->store(), nullptr);
  EXPECT_NE(edge->store()->find(key.id()), nullptr);  // the gateway's store holds the key

  // An encrypted ping; resent with the new salt if the server answers bad_server_salt.
  const uint64_t session_id = 0x5eed5eed12345678;
  const uint64_t ping_id = 0x0102030405060708;
  uint64_t salt = handshake.server_salt();
  uint32_t seq_no = 1;
  uint64_t ping_msg_id = 0;
  auto send_ping = [&] {
    Bytes body;
    mtproto::TlWriter w(body);
    w.write_uint32(kPing);
    w.write_uint64(ping_id);
    mtproto::OutgoingMessage m;
    m.salt = salt;
    m.session_id = session_id;
    m.msg_id = ping_msg_id = msg_ids.next();
    m.seq_no = seq_no;
    seq_no += 2;
    m.body = body;
    Bytes packet;
    mtproto::EncryptOptions enc;
    enc.dir = mtproto::Direction::kClientToServer;
    ASSERT_TRUE(
        mtproto::encrypt_message(key, m, packet, crypto::secure_random_source(), enc).is_ok());
    client.send(packet);
  };
  send_ping();

  Answers answers;
  int resends = 0;
  for (int round = 0; round < 16 && !answers.pong; ++round) {
    Collect sink;
    ASSERT_TRUE(client.receive(sink)) << "connection closed before the pong";
    ASSERT_TRUE(sink.errors.empty()) << "transport error " << sink.errors[0];
    for (Bytes& packet : sink.packets) {
      auto message = mtproto::decrypt_message(key, packet, mtproto::Direction::kServerToClient);
      ASSERT_TRUE(message.is_ok()) << message.message();
      EXPECT_EQ(message->session_id, session_id);
      answers.new_salt.reset();
      inspect(message->body, ping_id, answers);
      if (answers.new_salt && !answers.pong) {
        ASSERT_LT(++resends, 3) << "bad_server_salt keeps coming";
        salt = *answers.new_salt;
        send_ping();
      }
    }
  }
  EXPECT_TRUE(answers.pong) << "no pong; saw " << answers.constructors.size() << " messages";
  EXPECT_EQ(answers.pong_msg_id, ping_msg_id);

  client.close();
  gw.begin_shutdown();
  gw.wait();
}

}  // namespace
}  // namespace mtedge::gateway
