// Stateful fuzzing of the edge crypto stage (gateway/edge/edge_stage.h) in front of the embedded
// adapter: the input is a script of worker events, played against one EdgeStage whose sink
// behaves like the worker. It checks the reentrancy contract: any sink call may close the
// connection (on_close from inside it, as Connection::close_now does), after which nothing is
// sent to that connection id and the adapter behind the stage never gets a frame for it.
// A breach aborts (libFuzzer reports it); ASan reports any use of freed connection state.
//
// Deterministic and single-threaded: offloaded handshake steps and posted results (of the
// stage and of the embedded adapter's router) wait in queues that ops run.
//
// Input: a sequence of ops, one byte each (op % kOpCount) followed by its argument bytes;
// `slot` is an argument byte & 3, naming one of four connection slots (a slot gets a new
// connection id every time it is opened; ids are never reused):
//   open slot [http]   frame to slot: unencrypted (body from input), req_pq_multi, req_DH_params
//   garbage (offloaded, then refused), the next step of a real client handshake (at most one
//   handshake per input), encrypted under the known key (ping / ping_delay_disconnect / http_wait
//   / msgs_ack / destroy_session / destroy_auth_key / body from input; with or without quick-ack,
//   right or wrong salt), under an unknown key, or with a broken msg_key;
//   close slot from inside the next sink call; queue full (send_packet says false);
//   writes complete (on_client_drained, and a requested close happens); peer closes;
//   quiet; run one / all offloaded jobs; run one / all posted tasks; one loop iteration.
// Everything is closed and torn down at the end of the input (stage first, then the queued
// work that outlived it).
#include <uv.h>

#include <algorithm>
#include <array>
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

// Process-wide like the real one; no pool threads and no per-source rate (time-dependent).
std::shared_ptr<gateway::EdgeCrypto>& edge_crypto() {
  static auto* crypto = [] {
    gateway::CryptoConfig config;
    config.edge_decryption = true;
    config.rsa_keys = {rsa_key()};
    config.handshake_threads = 0;
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

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  Bytes take(size_t n) {
    n = std::min(n, size_ - pos_);
    Bytes out(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

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

// Sits between the stage and the embedded adapter and checks what reaches the adapter.
class CheckingAdapter final : public backend::BackendAdapter {
 public:
  CheckingAdapter(std::unique_ptr<backend::BackendAdapter> inner, std::vector<uint64_t>& created)
      : inner_(std::move(inner)), created_(created) {}
  void on_open(const backend::ConnInfo& info) override {
    if (!open_.insert(info.id).second) violation("adapter: opened twice", info.id);
    inner_->on_open(info);
  }
  bool on_frame(const Frame& frame) override {
    if (!open_.contains(frame.conn_id))
      violation("adapter: frame for a closed connection", frame.conn_id);
    if (frame.kind != FrameKind::kDecrypted)
      violation("adapter: frame not decrypted", frame.conn_id);
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
  std::vector<uint64_t>& created_;
  std::set<ConnId> open_;
};

// The worker: its sink and its event loop for one input.
struct Harness final : backend::GatewaySink {
  std::array<Slot, 4> slots;
  std::set<ConnId> live;  // opened, on_close not called yet
  uint64_t serial = 0;
  std::unique_ptr<gateway::EdgeStage> stage;
  backend::embedded::SessionService* service = nullptr;  // the embedded backend's (salts)
  std::deque<std::function<void()>> jobs;    // offloaded handshake steps (the crypto pool)
  std::deque<std::function<void()>> posted;  // tasks for this loop (stage results, router)
  std::vector<uint64_t> created_keys;
  int handshakes_left = 1;
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
    stage->on_close(id, reason);
  }

  bool send_packet(ConnId conn, ByteView packet) override {
    Slot& s = check(conn, "send_packet to a closed connection");
    s.last_packet = Bytes(packet.begin(), packet.end());
    const bool room = !s.full;
    maybe_close_inside(s);
    return room;
  }
  bool send_message(ConnId conn, const backend::OutboundMessage&) override {
    violation("send_message reached the worker (the stage must encrypt)", conn);
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
    stage->on_frame(frame);
  }
  void feed_unencrypted(Slot& s, ByteView body) {
    static uint64_t msg_id = 0x65C53D5100000000;
    msg_id += 4;
    Bytes packet = mtproto::build_unencrypted(msg_id, body);
    feed(s, FrameKind::kUnencrypted, 0, false, packet);
  }
  void feed_encrypted(Slot& s, Input& in, bool tamper);
  void client_step(Slot& s);
  void run(Input& in);
};

// A message of the known key's client: session 1..4, msg_ids that grow, salt right or 0.
void Harness::feed_encrypted(Slot& s, Input& in, bool tamper) {
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
  m.salt = (flags & 1) ? 0 : uint64_t(service->current_salt(known_key().id(), double(now)));
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

void Harness::run(Input& in) {
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
    if (op == kLoopOnce) {
      uv_run(loop(), UV_RUN_NOWAIT);
      continue;
    }
    const uint8_t arg = in.byte();
    Slot& s = slots[arg & 3];
    switch (op) {
      case kOpen: {
        if (s.id != 0 && live.contains(s.id)) break;
        s = Slot{};
        s.id = backend::make_conn_id(0, ++serial);
        live.insert(s.id);
        backend::ConnInfo info;
        info.id = s.id;
        if (arg & 4) {
          info.transport = codecs::TransportKind::kHttp;
          info.framing = codecs::TransportKind::kHttp;
        }
        stage->on_open(info);
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
          stage->on_client_drained(s.id);
        }
        break;
      case kPeerCloses: close_now(s.id, CloseReason::kPeerClosed); break;
      case kQuiet:
        if (live.contains(s.id)) stage->on_client_quiet(s.id);
        break;
      default: break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& crypto = edge_crypto();
  if (!crypto->store()->find(known_key().id())) {
    mtproto::StoredAuthKey stored;
    stored.key = known_key();
    if (!crypto->store()->insert(stored)) violation("cannot insert the known key", 0);
  }
  Harness harness;
  {
    // A fresh session layer per input (the schemas, slow to load, are shared).
    auto service =
        std::make_shared<backend::embedded::SessionService>(embedded_config(), schemas());
    auto router = std::make_shared<backend::embedded::WorkerRouter>();
    service->set_router(router.get());
    service->set_auth_key_store(crypto->store());  // destroy_auth_key erases there
    harness.service = service.get();

    gateway::EdgeStageOptions options;
    options.offload = [&](std::function<void()> job) {
      harness.jobs.push_back(std::move(job));
      return true;
    };
    options.post = [&](std::function<void()> task) { harness.posted.push_back(std::move(task)); };
    options.random = [](MutableByteView out) { std::fill(out.begin(), out.end(), uint8_t(0x5a)); };
    harness.stage = std::make_unique<gateway::EdgeStage>(crypto, harness, std::move(options));
    backend::AdapterContext context;
    context.loop = loop();
    context.sink = harness.stage.get();
    context.post = [&](unsigned, std::function<void()> task) {
      harness.posted.push_back(std::move(task));
    };
    harness.stage->set_inner(std::make_unique<CheckingAdapter>(
        std::make_unique<backend::embedded::EmbeddedAdapter>(context, service, router),
        harness.created_keys));

    Input in(data, size);
    harness.run(in);

    // Teardown as the worker does it: every connection closes, the stage stops and goes; work
    // still queued then runs and must find nobody.
    for (Slot& s : harness.slots) harness.close_now(s.id, CloseReason::kShutdown);
    bool stopped = false;
    harness.stage->stop([&] { stopped = true; });
    if (!stopped) violation("stop did not finish", 0);
    harness.stage.reset();
    while (!harness.jobs.empty() || !harness.posted.empty()) {
      run_front(harness.jobs.empty() ? harness.posted : harness.jobs, 1);
    }
  }
  uv_run(loop(), UV_RUN_NOWAIT);  // frees the closed timers
  for (uint64_t id : harness.created_keys) (void)crypto->store()->erase(id);
  if (crypto->handshake()->limiter()->in_flight() != 0) violation("handshake permits leaked", 0);
  return 0;
}
