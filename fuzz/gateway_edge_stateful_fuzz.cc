// Stateful fuzzing of the worker's side of every backend adapter: the input is a script of
// worker events, played against one adapter chain whose sink behaves like the worker. The first
// input byte picks the chain (as the worker builds it, gateway/runtime/worker.cc):
//   0  the edge crypto stage (gateway/edge/edge_stage.h) in front of the embedded adapter;
//   1  the relay adapter (edge decryption off), its upstream a loopback MTProto server
//      speaking the upstream transport (intermediate, abridged, padded or full);
//   2  the socket adapter (edge decryption off) with two endpoints, loopback backends speaking
//      mtedge.v1 (docs/protocol.md);
//   3  the edge crypto stage in front of the socket adapter.
// The other bits of byte 0 pick the upstream transport and small limits (make_chain below), so
// backpressure, overflows, deadlines and refusals happen within one input.
//
// It checks the reentrancy contract: any sink call may close the connection (on_close from
// inside it, as Connection::close_now does), after which nothing is sent to that connection id
// and the adapter never gets a frame (or any other event) for it. A breach aborts (libFuzzer
// reports it); ASan reports any use of freed connection or stream state. The loopback backends
// check the adapter's side of their protocol too (fuzz/loopback_backends.h). Everything is
// closed and torn down at the end of the input, and no libuv handle may outlive it.
//
// Deterministic and single-threaded: offloaded handshake steps and posted results (of the
// stage and of the embedded adapter's router) wait in queues that ops run; the loopback
// backends (fuzz/loopback_backends.h) live on the adapter's loop, and bytes move between them
// only in the loop iterations the script asks for.
//
// Input after byte 0: a sequence of ops, one byte each (op % kOpCount) followed by its argument
// bytes; `slot` is an argument byte & 3, naming one of four connection slots (a slot gets a new
// connection id every time it is opened; ids are never reused):
//   open slot [http]   frame to slot: unencrypted (body from input), req_pq_multi, req_DH_params
//   garbage (offloaded, then refused), the next step of a real client handshake (at most one
//   handshake per input), encrypted under the known key (ping / ping_delay_disconnect / http_wait
//   / msgs_ack / destroy_session / destroy_auth_key / body from input; with or without quick-ack,
//   right or wrong salt), under an unknown key, or with a broken msg_key;
//   close slot from inside the next sink call; queue full (send_packet says false);
//   writes complete (on_client_drained, and a requested close happens); peer closes;
//   quiet; run one / all offloaded jobs; run one / all posted tasks; one loop iteration
//   (uv_run NOWAIT: connects, reads and writes of the adapter and the backends progress);
//   the backend answers on one of its connections (relay: a packet, an oversized packet, a
//   quick-ack token, a transport error or raw bytes in the upstream transport; socket: a
//   HelloAck, a frame (packet, message to encrypt, or session-addressed), a quick ack, a
//   transport error, a close, credit or raw bytes, to connection ids open, closed or never
//   opened, within its credit or beyond it); the backend closes a connection; the backend
//   stops reading a connection (or reads it again); stop the chain (as a worker shutdown does:
//   no more opens, connections stay open and keep sending until it finished).
#include <spdlog/spdlog.h>
#include <uv.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/embedded/adapter.h"
#include "backend-adapters/embedded/session/session_service.h"
#include "backend-adapters/relay/adapter.h"
#include "backend-adapters/socket/adapter.h"
#include "backend-adapters/socket/rendezvous.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/loopback_backends.h"
#include "gateway/edge/edge_stage.h"
#include "mtproto/handshake/handshake_client.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/message/message.h"
#include "mtproto/tl/schema.h"
#include "tests/support/embedded_bodies.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"
#include "tests/support/vectors.h"

using namespace mtedge;
using backend::CloseReason;
using backend::ConnId;
using backend::Frame;
using backend::FrameKind;
using fuzzing::FuzzInput;
namespace ids = backend::embedded::ids;
namespace bodies = backend::embedded::testing;

namespace {

// A contract breach: libFuzzer reports the abort with the input.
[[noreturn]] void violation(const char* what, ConnId id) {
  std::fprintf(stderr, "gateway_edge_stateful: %s (conn %#llx)\n", what,
               static_cast<unsigned long long>(id));
  std::abort();
}

crypto::RsaPrivateKey& rsa_key() {
  static crypto::RsaPrivateKey* key = [] {
    auto loaded = crypto::RsaPrivateKey::from_pem_file(test::vector_path(test::kTestRsaKeyFile));
    if (!loaded) violation("cannot load the test RSA key", 0);
    return new crypto::RsaPrivateKey(loaded.value());
  }();
  return *key;
}

// Process-wide like the real one; no pool threads, no DH pair refill thread and no per-source
// rate (time-dependent).
std::shared_ptr<gateway::EdgeCrypto>& edge_crypto() {
  static auto* crypto = [] {
    gateway::CryptoConfig config;
    config.edge_decryption = true;
    config.rsa_keys = {rsa_key()};
    config.handshake_threads = 0;
    config.dh_precompute = 0;
    config.max_handshakes_per_second_per_source = 0;
    config.max_handshakes_per_ip = 1000;
    auto made = std::make_shared<gateway::EdgeCrypto>();
    if (!made->open(config)) violation("cannot open the edge crypto state", 0);
    return new std::shared_ptr<gateway::EdgeCrypto>(std::move(made));
  }();
  return *crypto;
}

const mtproto::AuthKey& known_key() {
  static const mtproto::AuthKey key =
      mtproto::AuthKey::from_bytes(test::from_hex(test::kAuthKeyHex)).value();
  return key;
}

const std::shared_ptr<const mtproto::tl::SchemaSet>& schemas() {
  static auto* loaded = [] {
    auto set = mtproto::tl::SchemaSet::load_embedded();
    if (!set) violation("cannot load the embedded TL schemas", 0);
    return new std::shared_ptr<const mtproto::tl::SchemaSet>(std::move(set.value()));
  }();
  return *loaded;
}

// Small bounds, so evictions and overflows happen within one input.
backend::embedded::EmbeddedConfig embedded_config() {
  backend::embedded::EmbeddedConfig config;
  config.max_sessions = 16;
  config.max_sessions_per_key = 2;
  config.max_auth_keys = 16;
  config.max_queued_messages = 8;
  config.max_stored_results = 8;
  config.max_remembered_msg_ids = 32;
  return config;
}

uv_loop_t* loop() {
  static uv_loop_t* instance = [] {
    auto* l = new uv_loop_t{};
    uv_loop_init(l);
    return l;
  }();
  return instance;
}

// The worker's side of one connection.
struct Slot {
  ConnId id = 0;                     // 0: never opened
  bool closing = false;              // close() or a transport error: closes once written
  bool full = false;                 // sends say false until the writes complete
  bool close_in_next_call = false;   // the next sink call for it closes it (reentrant)
  std::optional<Bytes> last_packet;  // the last packet sent to it (a handshake reply)
  std::unique_ptr<mtproto::HandshakeClient> client;
  int client_step = 0;
};

struct Harness;

// Wraps the adapter under test (behind the stage when edge decryption is on) and checks what
// reaches it.
class CheckingAdapter final : public backend::BackendAdapter {
 public:
  CheckingAdapter(std::unique_ptr<backend::BackendAdapter> inner, bool edge,
                  std::vector<uint64_t>& created)
      : inner_(std::move(inner)), edge_(edge), created_(created) {}
  void on_open(const backend::ConnInfo& info) override {
    if (!open_.insert(info.id).second) violation("adapter: opened twice", info.id);
    inner_->on_open(info);
  }
  bool on_frame(const Frame& frame) override {
    if (!open_.contains(frame.conn_id))
      violation("adapter: frame for a closed connection", frame.conn_id);
    if ((frame.kind == FrameKind::kDecrypted) != edge_)
      violation(
          edge_ ? "adapter: frame not decrypted" : "adapter: decrypted frame without the stage",
          frame.conn_id);
    return inner_->on_frame(frame);
  }
  void on_client_drained(ConnId conn) override {
    if (!open_.contains(conn)) violation("adapter: drained after close", conn);
    inner_->on_client_drained(conn);
  }
  void on_client_quiet(ConnId conn) override {
    if (!open_.contains(conn)) violation("adapter: quiet after close", conn);
    inner_->on_client_quiet(conn);
  }
  void on_auth_key_created(uint64_t auth_key_id, int64_t server_salt) override {
    created_.push_back(auth_key_id);
    inner_->on_auth_key_created(auth_key_id, server_salt);
  }
  void on_close(ConnId conn, CloseReason reason) override {
    if (open_.erase(conn) == 0) violation("adapter: closed twice", conn);
    inner_->on_close(conn, reason);
  }
  void stop(std::function<void()> done) override { inner_->stop(std::move(done)); }

 private:
  std::unique_ptr<backend::BackendAdapter> inner_;
  bool edge_;
  std::vector<uint64_t>& created_;
  std::set<ConnId> open_;
};

// Which adapter chain the input drives (byte 0 & 3).
enum class Mode : uint8_t { kEmbedded, kRelay, kSocket, kSocketEdge };

// The worker: its sink and its event loop for one input.
struct Harness final : backend::GatewaySink {
  std::array<Slot, 4> slots;
  std::set<ConnId> live;       // opened, on_close not called yet
  std::vector<ConnId> opened;  // every id opened, in order (the socket backends address them)
  uint64_t serial = 0;
  gateway::EdgeStage* stage = nullptr;                   // edge decryption on: the top of the chain
  std::unique_ptr<backend::BackendAdapter> chain;        // what the worker calls
  backend::embedded::SessionService* service = nullptr;  // the embedded backend's (salts)
  std::unique_ptr<fuzzing::RelayUpstream> upstream;      // relay
  std::array<std::unique_ptr<fuzzing::SocketEndpoint>, 2> endpoints;  // socket
  std::deque<std::function<void()>> jobs;    // offloaded handshake steps (the crypto pool)
  std::deque<std::function<void()>> posted;  // tasks for this loop (stage results, router)
  std::vector<uint64_t> created_keys;
  int handshakes_left = 1;
  bool stop_called = false;  // the chain is stopping (no more opens), as in a worker shutdown
  bool stopped = false;      // its stop finished
  uint32_t padding_counter = 0;

  Slot* slot_of(ConnId id) {
    for (Slot& s : slots) {
      if (s.id == id) return &s;
    }
    return nullptr;
  }
  // Every sink call: the connection must still be open; an armed slot closes inside the call.
  Slot& check(ConnId id, const char* call) {
    if (!live.contains(id)) violation(call, id);
    return *slot_of(id);
  }
  void maybe_close_inside(Slot& s) {
    if (!s.close_in_next_call) return;
    s.close_in_next_call = false;
    close_now(s.id, CloseReason::kLimit);
  }
  // What Connection::close_now does: the adapter hears on_close synchronously.
  void close_now(ConnId id, CloseReason reason) {
    if (live.erase(id) == 0) return;
    chain->on_close(id, reason);
  }

  bool send_packet(ConnId conn, ByteView packet) override {
    Slot& s = check(conn, "send_packet to a closed connection");
    s.last_packet = Bytes(packet.begin(), packet.end());
    const bool room = !s.full;
    maybe_close_inside(s);
    return room;
  }
  // As the worker does with edge decryption off: the connection is closed. With the stage in
  // front, nothing may get here (the stage encrypts).
  bool send_message(ConnId conn, const backend::OutboundMessage&) override {
    if (stage != nullptr)
      violation("send_message reached the worker (the stage must encrypt)", conn);
    Slot& s = check(conn, "send_message to a closed connection");
    s.closing = true;
    maybe_close_inside(s);
    return false;
  }
  void send_quick_ack(ConnId conn, uint32_t) override {
    maybe_close_inside(check(conn, "quick-ack to a closed connection"));
  }
  void send_transport_error(ConnId conn, int32_t) override {
    Slot& s = check(conn, "transport error to a closed connection");
    s.closing = true;
    maybe_close_inside(s);
  }
  void close(ConnId conn, std::string_view) override {
    Slot& s = check(conn, "close of a closed connection");
    s.closing = true;
    maybe_close_inside(s);
  }
  void resume_reading(ConnId conn) override {
    check(conn, "resume_reading of a closed connection");
  }
  void mark_authenticated(ConnId conn) override {
    check(conn, "mark_authenticated of a closed connection");
  }

  // Frames the worker reads for an open connection (not after it asked to close).
  void feed(Slot& s, FrameKind kind, uint64_t auth_key_id, bool quick_ack, ByteView packet) {
    if (s.id == 0 || !live.contains(s.id) || s.closing) return;
    Frame frame;
    frame.conn_id = s.id;
    frame.kind = kind;
    frame.auth_key_id = auth_key_id;
    frame.quick_ack = quick_ack;
    frame.packet = packet;
    if (upstream) upstream->expect(s.id, packet);
    chain->on_frame(frame);
  }
  void feed_unencrypted(Slot& s, ByteView body) {
    static uint64_t msg_id = 0x65C53D5100000000;
    msg_id += 4;
    Bytes packet = mtproto::build_unencrypted(msg_id, body);
    feed(s, FrameKind::kUnencrypted, 0, false, packet);
  }
  void feed_encrypted(Slot& s, FuzzInput& in, bool tamper);
  void client_step(Slot& s);
  // The chain's stop finished: as Worker::adapter_stopped, every connection closes from
  // inside the callback.
  void stop_done() {
    stopped = true;
    for (Slot& s : slots) close_now(s.id, CloseReason::kShutdown);
  }
  void backend_op(uint8_t op, uint8_t arg, FuzzInput& in);
  void run(FuzzInput& in);
  // Runs the loop until `done` holds; false if it did not within a bound.
  bool loop_until(const std::function<bool()>& done);
};

// A message of the known key's client: session 1..4, msg_ids that grow, salt right or 0.
void Harness::feed_encrypted(Slot& s, FuzzInput& in, bool tamper) {
  const uint8_t flags = in.byte();
  const uint8_t seq = in.byte();
  Bytes body;
  switch (in.byte() % 8) {
    case 0: body = bodies::ping_body(seq); break;
    case 1: body = bodies::ping_delay_body(seq, seq % 4); break;
    case 2: {
      body = bodies::u32_body(ids::kHttpWait);
      for (int v : {0, seq % 3, seq % 2})
        append_le32(body, uint32_t(v));  // max_delay, wait_after, max_wait
      break;
    }
    case 3: body = bodies::ids_body(ids::kMsgsAck, {int64_t(seq)}); break;
    case 4: body = bodies::id_body(ids::kDestroySession, 1 + (seq & 3)); break;
    case 5: body = bodies::u32_body(ids::kDestroyAuthKey); break;
    case 6: body = bodies::future_salts_body(1 + (seq & 3)); break;
    default: {
      body = in.take(in.byte());
      body.resize(body.size() & ~size_t(3));
      break;
    }
  }
  static uint32_t counter = 0;
  const auto now = static_cast<int64_t>(backend::embedded::system_clock_now());
  mtproto::OutgoingMessage m;
  const int64_t salt =
      service != nullptr ? service->current_salt(known_key().id(), double(now)) : 0x5a175a17;
  m.salt = (flags & 1) ? 0 : uint64_t(salt);
  m.session_id = 1 + ((flags >> 1) & 3);
  m.msg_id = (uint64_t(now) << 32) | (uint64_t(++counter) << 2);
  m.seq_no = seq;
  m.body = body;
  Bytes packet;
  mtproto::EncryptOptions enc;
  enc.dir = mtproto::Direction::kClientToServer;
  if (!mtproto::encrypt_message(
          known_key(), m, packet,
          [this](MutableByteView out) {
            for (uint8_t& b : out) b = uint8_t(++padding_counter);
          },
          enc)) {
    return;
  }
  if (tamper) packet[8 + (seq & 15)] ^= 1;  // msg_key
  feed(s, FrameKind::kEncrypted, known_key().id(), (flags & 8) != 0, packet);
}

// One step of a real client handshake on the slot (req_pq, req_DH_params, set_client_DH_params),
// answering the last packet the slot got.
void Harness::client_step(Slot& s) {
  if (s.id == 0 || !live.contains(s.id) || s.closing) return;
  if (!s.client) {
    if (handshakes_left == 0) return;
    --handshakes_left;
    mtproto::HandshakeClientOptions options;
    options.server_key = rsa_key().public_key();
    s.client = std::make_unique<mtproto::HandshakeClient>(options);
    s.client_step = 0;
  }
  std::optional<Bytes> next;
  if (s.client_step == 0) {
    next = s.client->req_pq();
  } else if (s.last_packet) {
    auto reply = mtproto::parse_unencrypted(*s.last_packet);
    if (!reply) return;
    Bytes body(reply->body.begin(), reply->body.end());
    auto step =
        s.client_step == 1 ? s.client->on_res_pq(body) : s.client->on_server_dh_params(body);
    if (s.client_step <= 2 && step) next = step.value();
  }
  if (!next) return;
  ++s.client_step;
  feed_unencrypted(s, *next);
}

enum Op : uint8_t {
  kOpen,
  kUnencrypted,
  kReqPq,
  kReqDhGarbage,
  kClientStep,
  kEncrypted,
  kUnknownKey,
  kBadMsgKey,
  kCloseInNextCall,
  kQueueFull,
  kWritesComplete,
  kPeerCloses,
  kQuiet,
  kRunJob,
  kRunJobs,
  kRunPosted,
  kRunAllPosted,
  kLoopOnce,
  kBackendAnswers,
  kBackendCloses,
  kBackendStalls,
  kStop,
  kOpCount,
};

// Runs (at most) the first `n` tasks of `queue`; a task may queue more.
void run_front(std::deque<std::function<void()>>& queue, size_t n) {
  for (; n > 0 && !queue.empty(); --n) {
    auto task = std::move(queue.front());
    queue.pop_front();
    task();
  }
}

// arg: bit 0 the socket endpoint, bits 1-2 its connection (0 = the newest), bit 7 lets a
// socket backend send beyond its credit.
void Harness::backend_op(uint8_t op, uint8_t arg, FuzzInput& in) {
  fuzzing::LoopbackServer* server = upstream.get();
  if (endpoints[0]) server = endpoints[arg & 1].get();
  const uint8_t selector = (arg >> 1) & 3;
  switch (op) {
    case kBackendAnswers:
      if (upstream) upstream->answer(selector, in);
      if (endpoints[0]) endpoints[arg & 1]->answer(selector, (arg & 0x80) != 0, in);
      break;
    case kBackendCloses:
      if (server != nullptr) server->close_peer(server->pick(selector));
      break;
    case kBackendStalls:
      if (server != nullptr) server->toggle_reading(server->pick(selector));
      break;
    default: break;
  }
}

bool Harness::loop_until(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    uv_run(loop(), UV_RUN_NOWAIT);
  }
  return done();
}

void Harness::run(FuzzInput& in) {
  while (!in.empty()) {
    const auto op = static_cast<Op>(in.byte() % kOpCount);
    if (op == kRunJob || op == kRunJobs) {
      run_front(jobs, op == kRunJob ? 1 : jobs.size());
      continue;
    }
    if (op == kRunPosted || op == kRunAllPosted) {
      run_front(posted, op == kRunPosted ? 1 : posted.size());
      continue;
    }
    if (op == kStop) {
      if (!stop_called) {
        stop_called = true;
        chain->stop([this] { stop_done(); });
      }
      continue;
    }
    if (op == kLoopOnce) {
      uv_run(loop(), UV_RUN_NOWAIT);
      continue;
    }
    const uint8_t arg = in.byte();
    if (op == kBackendAnswers || op == kBackendCloses || op == kBackendStalls) {
      backend_op(op, arg, in);
      continue;
    }
    Slot& s = slots[arg & 3];
    switch (op) {
      case kOpen: {
        if ((s.id != 0 && live.contains(s.id)) || stop_called) break;
        s = Slot{};
        s.id = backend::make_conn_id(0, ++serial);
        live.insert(s.id);
        opened.push_back(s.id);
        backend::ConnInfo info;
        info.id = s.id;
        if (arg & 4) {
          info.transport = codecs::TransportKind::kHttp;
          info.framing = codecs::TransportKind::kHttp;
        }
        chain->on_open(info);
        break;
      }
      case kUnencrypted: feed_unencrypted(s, in.take(in.byte())); break;
      case kReqPq: {
        Bytes body = bodies::u32_body(0xbe7e8ef1);  // req_pq_multi
        Bytes nonce = in.take(16);
        nonce.resize(16);
        body.insert(body.end(), nonce.begin(), nonce.end());
        feed_unencrypted(s, body);
        break;
      }
      case kReqDhGarbage: {
        Bytes body = bodies::u32_body(0xd712e4be);  // req_DH_params
        Bytes rest = in.take(in.byte());
        body.insert(body.end(), rest.begin(), rest.end());
        feed_unencrypted(s, body);
        break;
      }
      case kClientStep: client_step(s); break;
      case kEncrypted: feed_encrypted(s, in, false); break;
      case kBadMsgKey: feed_encrypted(s, in, true); break;
      case kUnknownKey: {
        Bytes packet = in.take(8 + 16 + 16 * (in.byte() & 3));
        packet.resize(std::max<size_t>(packet.size(), 24));
        uint64_t id = load_le64(packet.data());
        if (id == 0 || id == known_key().id()) {
          id = 0xdeadbeef;
          for (int i = 0; i < 8; ++i) packet[i] = uint8_t(id >> (8 * i));
        }
        feed(s, FrameKind::kEncrypted, id, (arg & 4) != 0, packet);
        break;
      }
      case kCloseInNextCall:
        if (live.contains(s.id)) s.close_in_next_call = true;
        break;
      case kQueueFull: s.full = true; break;
      case kWritesComplete:
        if (!live.contains(s.id)) break;
        if (s.closing) {
          close_now(s.id, CloseReason::kAdapter);
        } else if (s.full) {
          s.full = false;
          chain->on_client_drained(s.id);
        }
        break;
      case kPeerCloses: close_now(s.id, CloseReason::kPeerClosed); break;
      case kQuiet:
        if (live.contains(s.id)) chain->on_client_quiet(s.id);
        break;
      default: break;
    }
  }
}

// The adapter chain for `mode`, as the worker builds it, with its loopback backends. `config`
// (byte 0 >> 2) picks limits: relay: bits 0-1 the upstream transport, bit 2 a connect timeout
// of 0 ms, bit 3 a 64-byte upstream buffer; socket: bit 0 a credit window of 2, bit 1 a 256-byte
// stream queue, bit 2 a message deadline of 0 ms, bit 3 -429 instead of a close when an endpoint
// is down, bit 4 one held credit per client.
void make_chain(Harness& h, Mode mode, uint8_t config,
                std::shared_ptr<backend::embedded::SessionService>& service) {
  const bool edge = mode == Mode::kEmbedded || mode == Mode::kSocketEdge;
  backend::AdapterContext context;
  context.loop = loop();
  context.sink = &h;
  context.post = [&h](unsigned, std::function<void()> task) {
    h.posted.push_back(std::move(task));
  };
  std::unique_ptr<gateway::EdgeStage> stage;
  if (edge) {
    gateway::EdgeStageOptions options;
    options.offload = [&h](std::function<void()> job) {
      h.jobs.push_back(std::move(job));
      return true;
    };
    options.post = [&h](std::function<void()> task) { h.posted.push_back(std::move(task)); };
    options.random = [](MutableByteView out) { std::fill(out.begin(), out.end(), uint8_t(0x5a)); };
    stage = std::make_unique<gateway::EdgeStage>(edge_crypto(), h, std::move(options));
    context.sink = stage.get();
  }
  std::unique_ptr<backend::BackendAdapter> adapter;
  switch (mode) {
    case Mode::kEmbedded: {
      // A fresh session layer per input (the schemas, slow to load, are shared).
      service = std::make_shared<backend::embedded::SessionService>(embedded_config(), schemas());
      auto router = std::make_shared<backend::embedded::WorkerRouter>();
      service->set_router(router.get());
      service->set_auth_key_store(edge_crypto()->store());  // destroy_auth_key erases there
      h.service = service.get();
      adapter = std::make_unique<backend::embedded::EmbeddedAdapter>(context, service, router);
      break;
    }
    case Mode::kRelay: {
      static constexpr codecs::TransportKind kUpstream[] = {
          codecs::TransportKind::kIntermediate, codecs::TransportKind::kAbridged,
          codecs::TransportKind::kPaddedIntermediate, codecs::TransportKind::kFull};
      auto relay = std::make_shared<backend::relay::RelayConfig>();
      relay->transport = kUpstream[config & 3];
      h.upstream = std::make_unique<fuzzing::RelayUpstream>(loop(), relay->transport);
      relay->upstream = {"loopback", h.upstream->address()};
      relay->connect_timeout_ms = (config & 4) ? 0 : 60'000;
      relay->max_upstream_buffer_bytes = (config & 8) ? 64 : 4096;
      relay->max_frame_bytes = 4096;
      adapter = std::make_unique<backend::relay::RelayAdapter>(relay, context);
      break;
    }
    case Mode::kSocket:
    case Mode::kSocketEdge: {
      auto socket = std::make_shared<backend::socket::SocketConfig>();
      std::vector<std::string> names;
      for (size_t i = 0; i < h.endpoints.size(); ++i) {
        h.endpoints[i] = std::make_unique<fuzzing::SocketEndpoint>(loop(), h.opened);
        backend::socket::Endpoint endpoint;
        endpoint.name = "backend-" + std::to_string(i);  // fixed: the hashing must not vary
        endpoint.addr = h.endpoints[i]->address();
        names.push_back(endpoint.name);
        socket->endpoints.push_back(std::move(endpoint));
      }
      // Reconnects come in the next loop iteration; only the deadline the config picks fires.
      socket->reconnect_min_ms = 0;
      socket->reconnect_max_ms = 0;
      socket->connect_timeout_ms = 60'000;
      socket->write_deadline_ms = 60'000;
      socket->credit_window = (config & 1) ? 2 : 64;
      socket->max_queued_bytes = (config & 2) ? 256 : (1u << 20);
      socket->message_deadline_ms = (config & 4) ? 0 : 60'000;
      if (config & 8) socket->on_backend_down = {false, -429};
      socket->max_held_credit_per_client = (config & 16) ? 1 : 0;
      adapter = std::make_unique<backend::socket::SocketAdapter>(
          socket, std::make_shared<backend::socket::RendezvousHash>(names), context);
      break;
    }
  }
  auto checked = std::make_unique<CheckingAdapter>(std::move(adapter), edge, h.created_keys);
  if (stage) {
    stage->set_inner(std::move(checked));
    h.stage = stage.get();
    h.chain = std::move(stage);
  } else {
    h.chain = std::move(checked);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Quiet (failing streams and upstreams log every time), unless MTEDGE_FUZZ_LOG names a level
  // ("debug") to follow a reproduced input.
  static const bool logging = [] {
    std::signal(SIGPIPE, SIG_IGN);  // as the gateway does: a write to a closed peer is EPIPE
    const char* level = std::getenv("MTEDGE_FUZZ_LOG");
    spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::off);
    return true;
  }();
  (void)logging;
  auto& crypto = edge_crypto();
  if (!crypto->store()->find(known_key().id())) {
    mtproto::StoredAuthKey stored;
    stored.key = known_key();
    if (!crypto->store()->insert(stored)) violation("cannot insert the known key", 0);
  }
  uint8_t mode_byte = size > 0 ? data[0] : 0;
  // MTEDGE_FUZZ_MODE=0..3 holds a fuzzing run to one chain (a finding then reproduces with
  // byte 0's low bits set to it).
  static const char* forced_mode = std::getenv("MTEDGE_FUZZ_MODE");
  if (forced_mode != nullptr) mode_byte = uint8_t((mode_byte & ~3) | (std::atoi(forced_mode) & 3));
  FuzzInput in(data + (size > 0 ? 1 : 0), size > 0 ? size - 1 : 0);
  Harness harness;
  {
    std::shared_ptr<backend::embedded::SessionService> service;
    make_chain(harness, static_cast<Mode>(mode_byte & 3), uint8_t(mode_byte >> 2), service);
    harness.run(in);

    // Teardown as the worker does it: the chain stops (unless the script already stopped it),
    // every connection closes, the chain goes; work still queued then runs and must find
    // nobody. A script that did not stop the chain has its clients leave first.
    if (!harness.stop_called) {
      for (Slot& s : harness.slots) harness.close_now(s.id, CloseReason::kShutdown);
      harness.stop_called = true;
      harness.chain->stop([&] { harness.stop_done(); });
    }
    if (!harness.loop_until([&] { return harness.stopped; })) violation("stop did not finish", 0);
    harness.stage = nullptr;
    harness.chain.reset();
    harness.service = nullptr;
    while (!harness.jobs.empty() || !harness.posted.empty()) {
      run_front(harness.jobs.empty() ? harness.posted : harness.jobs, 1);
    }
  }
  // The backends go last; then no handle of this input may be left on the loop.
  if (harness.upstream) harness.upstream->close();
  for (auto& endpoint : harness.endpoints) {
    if (endpoint) endpoint->close();
  }
  if (!harness.loop_until([] { return !uv_loop_alive(loop()); })) {
    violation("libuv handles left open after teardown", 0);
  }
  for (uint64_t id : harness.created_keys) (void)crypto->store()->erase(id);
  if (crypto->handshake()->limiter()->in_flight() != 0) violation("handshake permits leaked", 0);
  return 0;
}
