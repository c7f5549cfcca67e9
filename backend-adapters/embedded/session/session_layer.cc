#include "backend-adapters/embedded/session/session_layer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "backend-adapters/embedded/api/dispatcher.h"
#include "backend-adapters/embedded/session/service_ids.h"
#include "crypto/random.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::backend::embedded {
namespace {

using mtproto::TlReader;
using mtproto::TlWriter;

// A duplicate query is answered with its stored result up to this size, above it with
// msg_detailed_info (the client may then ask for the answer with msg_resend_req).
constexpr size_t kInlineDuplicateAnswer = 16 * 1024;
constexpr int32_t kMaxDisconnectDelay = 24 * 3600;

// Service messages: the client may mark them content-related or not (tdlib sends most with
// even seq_no, Telethon with odd). Everything else is an API query and must be odd.
bool is_service_message(uint32_t id) {
  switch (id) {
    case ids::kMsgsAck:
    case ids::kPing:
    case ids::kPingDelayDisconnect:
    case ids::kGetFutureSalts:
    case ids::kMsgsStateReq:
    case ids::kMsgsStateInfo:
    case ids::kMsgsAllInfo:
    case ids::kMsgResendReq:
    case ids::kMsgDetailedInfo:
    case ids::kMsgNewDetailedInfo:
    case ids::kRpcDropAnswer:
    case ids::kDestroySession:
    case ids::kDestroyAuthKey:
    case ids::kHttpWait:
    case ids::kMsgCopy: return true;
    default: return false;
  }
}

// Never content-related: an odd seq_no on these is error 34.
bool never_content_related(uint32_t id) {
  return id == ids::kMsgsAck || id == ids::kMsgContainer;
}

Bytes body_of(std::initializer_list<uint32_t> head) {
  Bytes out;
  TlWriter w(out);
  for (uint32_t v : head) w.write_uint32(v);
  return out;
}

}  // namespace

OutMessage SessionLayer::emit(Bytes body, bool content_related, bool response) {
  int64_t sec = static_cast<int64_t>(std::floor(now_));
  auto frac = static_cast<uint64_t>((now_ - double(sec)) * 4294967296.0);
  int64_t kind = response ? 1 : 3;
  int64_t id = ((sec << 32) | int64_t(frac & 0xffffffffu)) & ~int64_t(3);
  id |= kind;
  if (id <= session_.last_out_msg_id) id = ((session_.last_out_msg_id + 4) & ~int64_t(3)) | kind;
  session_.last_out_msg_id = id;

  OutMessage message;
  message.msg_id = id;
  message.seq_no = session_.out_content_count * 2 + (content_related ? 1 : 0);
  if (content_related) ++session_.out_content_count;
  message.body = std::make_shared<const Bytes>(std::move(body));
  if (content_related) {
    session_.unacked.push_back(QueuedMessage{message, 0});
    if (session_.unacked.size() > service_.config().max_queued_messages) {
      session_.unacked.erase(session_.unacked.begin());
      service_.dropped_unacked_.fetch_add(1, std::memory_order_relaxed);
      if (!session_.overflow_logged) {  // once per session: a client that never acks cannot flood
                                        // the log
        session_.overflow_logged = true;
        spdlog::warn("embedded: session unacked queue full, oldest messages forgotten [cap = {}]",
                     service_.config().max_queued_messages);
      }
    }
  }
  out_.replies.push_back(message);
  return message;
}

void SessionLayer::bad_msg(int64_t msg_id, int32_t seq_no, int32_t code) {
  Bytes out;
  TlWriter w(out);
  w.write_uint32(ids::kBadMsgNotification);
  w.write_int64(msg_id);
  w.write_int32(seq_no);
  w.write_int32(code);
  emit(std::move(out), false, true);
}

void SessionLayer::bad_server_salt(int64_t msg_id, int32_t seq_no) {
  Bytes out;
  TlWriter w(out);
  w.write_uint32(ids::kBadServerSalt);
  w.write_int64(msg_id);
  w.write_int32(seq_no);
  w.write_int32(ids::kBadSalt);
  w.write_int64(out_.salt);
  emit(std::move(out), false, true);
}

void SessionLayer::announce(int64_t first_msg_id) {
  session_.first_msg_id = first_msg_id;
  Bytes out;
  TlWriter w(out);
  w.write_uint32(ids::kNewSessionCreated);
  w.write_int64(first_msg_id);
  w.write_uint64(session_.unique_id);
  w.write_int64(out_.salt);
  emit(std::move(out), true, false);
}

bool SessionLayer::check_msg_id(int64_t msg_id, int32_t seq_no) {
  if ((msg_id & 3) != 0) {
    bad_msg(msg_id, seq_no, ids::kMsgIdBadParity);
    return false;
  }
  double seconds = double(msg_id >> 32);
  if (seconds < now_ - 300) {
    bad_msg(msg_id, seq_no, ids::kMsgIdTooLow);
    return false;
  }
  if (seconds > now_ + 30) {
    bad_msg(msg_id, seq_no, ids::kMsgIdTooHigh);
    return false;
  }
  if (msg_id <= session_.forgotten_up_to && !session_.received.contains(msg_id)) {
    bad_msg(msg_id, seq_no, ids::kMsgIdTooOld);
    return false;
  }
  return true;
}

// seq_no = 2 * (content-related messages sent before) + (content-related ? 1 : 0): a message
// must count at least what an earlier id counted (32 otherwise) and at most what a later one
// does (33 otherwise).
bool SessionLayer::check_seq_order(int64_t msg_id, int32_t seq_no) {
  auto own_floor = uint32_t(seq_no) >> 1;
  if (const ReceivedMsg* before = session_.received.at_or_before(msg_id)) {
    uint32_t prev = uint32_t(before->seq_no);
    if (own_floor < (prev >> 1) + (prev & 1)) {
      bad_msg(msg_id, seq_no, ids::kSeqNoTooLow);
      return false;
    }
  }
  if (const ReceivedMsg* next = session_.received.after(msg_id)) {
    uint32_t later = uint32_t(next->seq_no);
    if ((later >> 1) < own_floor + (uint32_t(seq_no) & 1)) {
      bad_msg(msg_id, seq_no, ids::kSeqNoTooHigh);
      return false;
    }
  }
  return true;
}

void SessionLayer::remember(int64_t msg_id, int32_t seq_no, bool container) {
  session_.received.insert_or_assign(ReceivedMsg{msg_id, seq_no, container});
  while (session_.received.size() > service_.config().max_remembered_msg_ids) {
    session_.forgotten_up_to = std::max(session_.forgotten_up_to, session_.received.pop_oldest());
  }
}

void SessionLayer::process(int64_t msg_id, int32_t seq_no, ByteView body) {
  if (body.size() < 4) {
    spdlog::debug("embedded: message shorter than a constructor id dropped");
    return;
  }
  uint32_t constructor = load_le32(body.data());
  if (constructor == ids::kMsgContainer) {
    process_container(msg_id, seq_no, body);
    return;
  }
  if (!check_msg_id(msg_id, seq_no)) return;
  if (session_.received.contains(msg_id)) {
    answer_duplicate(msg_id);
    return;
  }
  process_one(msg_id, seq_no, body, msg_id, false);
}

void SessionLayer::process_container(int64_t msg_id, int32_t seq_no, ByteView body) {
  if (!check_msg_id(msg_id, seq_no)) return;
  if (session_.received.contains(msg_id)) {
    bad_msg(msg_id, seq_no, ids::kContainerIdReused);
    return;
  }
  if (seq_no & 1) {
    bad_msg(msg_id, seq_no, ids::kSeqNoEvenExpected);
    return;
  }
  struct Item {
    int64_t msg_id;
    int32_t seq_no;
    ByteView body;
  };
  std::vector<Item> items;
  TlReader r(body);
  r.expect(ids::kMsgContainer);
  uint32_t count = r.read_uint32();
  bool valid = r.ok() && count <= kMaxContainerMessages;
  for (uint32_t i = 0; valid && i < count; ++i) {
    Item item{};
    item.msg_id = r.read_int64();
    item.seq_no = r.read_int32();
    int32_t size = r.read_int32();
    if (!r.ok() || size < 4 || size % 4 != 0 || size_t(size) > r.remaining() ||
        item.msg_id >= msg_id) {
      valid = false;
      break;
    }
    item.body = r.read_raw(size_t(size));
    if (load_le32(item.body.data()) == ids::kMsgContainer) valid = false;
    items.push_back(item);
  }
  if (!valid || !r.ok() || !r.at_end()) {
    bad_msg(msg_id, seq_no, ids::kInvalidContainer);
    return;
  }
  if (!check_seq_order(msg_id, seq_no)) return;
  remember(msg_id, seq_no, true);
  int64_t batch_min = msg_id;
  for (const Item& item : items) batch_min = std::min(batch_min, item.msg_id);
  for (const Item& item : items) {
    if (!check_msg_id(item.msg_id, item.seq_no)) continue;
    if (session_.received.contains(item.msg_id)) {
      answer_duplicate(item.msg_id);
      continue;
    }
    process_one(item.msg_id, item.seq_no, item.body, batch_min, true);
  }
}

void SessionLayer::process_one(int64_t msg_id, int32_t seq_no, ByteView body, int64_t batch_min_id,
                               bool in_container) {
  ByteView payload = body;
  uint32_t constructor = load_le32(body.data());
  bool gzip_failed = false;
  if (constructor == ids::kGzipPacked) {
    // Inflated by the decoder before the lock (null: it stopped before this message).
    const Inflated* inflated = packet_.inflated(body);
    if (inflated != nullptr && inflated->ok) {
      payload = inflated->payload;
      constructor = load_le32(payload.data());
    } else {
      spdlog::debug("embedded: gzip_packed malformed, corrupt or empty");
      gzip_failed = true;
    }
  }
  if (!gzip_failed && constructor == ids::kMsgContainer) {
    if (in_container) {
      bad_msg(msg_id, seq_no, ids::kInvalidContainer);
      return;
    }
    process_container(msg_id, seq_no, payload);  // gzip_packed(msg_container) at top level
    return;
  }
  bool odd = (seq_no & 1) != 0;
  if (!gzip_failed && odd && never_content_related(constructor)) {
    bad_msg(msg_id, seq_no, ids::kSeqNoEvenExpected);
    return;
  }
  if (!gzip_failed && !odd && !is_service_message(constructor)) {
    bad_msg(msg_id, seq_no, ids::kSeqNoOddExpected);
    return;
  }
  if (!check_seq_order(msg_id, seq_no)) return;
  remember(msg_id, seq_no, false);
  if (session_.first_msg_id == 0) {
    announce(batch_min_id);
  } else if (msg_id < session_.first_msg_id) {
    announce(msg_id);
  }
  if (gzip_failed) {
    // Only a query can be answered; anything else is dropped (and logged above).
    if (odd) rpc_answer(msg_id, api::rpc_error(400, "GZIP_PACKED_INVALID"));
    return;
  }
  dispatch(constructor, msg_id, payload);
}

void SessionLayer::dispatch(uint32_t constructor, int64_t msg_id, ByteView body) {
  switch (constructor) {
    case ids::kMsgsAck: on_msgs_ack(body); return;
    case ids::kPing: on_ping(msg_id, body, false); return;
    case ids::kPingDelayDisconnect: on_ping(msg_id, body, true); return;
    case ids::kGetFutureSalts: on_get_future_salts(msg_id, body); return;
    case ids::kMsgsStateReq: on_msgs_state_req(msg_id, body); return;
    case ids::kMsgResendReq: on_msg_resend_req(msg_id, body); return;
    case ids::kRpcDropAnswer: on_rpc_drop_answer(msg_id, body); return;
    case ids::kDestroySession: {
      TlReader r(body);
      r.expect(ids::kDestroySession);
      int64_t target = r.read_int64();
      if (r.ok()) deferred_.push_back({Deferred::Kind::kDestroySession, msg_id, target});
      return;
    }
    case ids::kDestroyAuthKey:
      deferred_.push_back({Deferred::Kind::kDestroyAuthKey, msg_id, 0});
      return;
    case ids::kHttpWait: {  // long-poll parameters: the adapter applies them on HTTP only
      TlReader r(body);
      r.expect(ids::kHttpWait);
      HttpWait wait;
      wait.max_delay = r.read_int32();
      wait.wait_after = r.read_int32();
      wait.max_wait = r.read_int32();
      if (r.ok()) out_.http_wait = wait;
      return;
    }
    case ids::kMsgsStateInfo:
    case ids::kMsgsAllInfo:
    case ids::kMsgDetailedInfo:
    case ids::kMsgNewDetailedInfo:
    case ids::kMsgCopy:
      spdlog::debug("embedded: informational service message {:#010x} ignored", constructor);
      return;
    default: rpc(msg_id, body); return;
  }
}

// `unacked` is in msg_id order: emit() appends ever greater ids.
const QueuedMessage* SessionLayer::find_unacked(int64_t server_msg_id) const {
  const auto& q = session_.unacked;
  auto it =
      std::lower_bound(q.begin(), q.end(), server_msg_id,
                       [](const QueuedMessage& m, int64_t id) { return m.message.msg_id < id; });
  return it != q.end() && it->message.msg_id == server_msg_id ? &*it : nullptr;
}

void SessionLayer::ack(int64_t server_msg_id) {
  auto& q = session_.unacked;
  const QueuedMessage* hit = find_unacked(server_msg_id);
  if (hit == nullptr) return;
  q.erase(q.begin() + (hit - q.data()));
  if (q.empty()) std::vector<QueuedMessage>().swap(q);  // an idle, fully acked session holds none
}

bool SessionLayer::unacked_has(int64_t server_msg_id) const {
  return find_unacked(server_msg_id) != nullptr;
}

bool SessionLayer::first_repeat(int64_t server_msg_id) {
  return repeated_.insert(server_msg_id).second;
}

void SessionLayer::on_msgs_ack(ByteView body) {
  TlReader r(body);
  r.expect(ids::kMsgsAck);
  uint32_t count = r.read_vector_header(8);
  if (!r.ok() || count > kMaxIdsPerRequest) {
    spdlog::debug("embedded: malformed msgs_ack dropped");
    return;
  }
  for (uint32_t i = 0; i < count; ++i) ack(r.read_int64());
}

void SessionLayer::on_ping(int64_t msg_id, ByteView body, bool delay_disconnect) {
  TlReader r(body);
  r.read_uint32();
  int64_t ping_id = r.read_int64();
  int32_t delay = delay_disconnect ? r.read_int32() : 0;
  if (!r.ok()) {
    spdlog::debug("embedded: malformed ping dropped");
    return;
  }
  Bytes out;
  TlWriter w(out);
  w.write_uint32(ids::kPong);
  w.write_int64(msg_id);
  w.write_int64(ping_id);
  emit(std::move(out), false, true);
  if (delay_disconnect)
    out_.disconnect_after_s = uint32_t(std::clamp(delay, 0, kMaxDisconnectDelay));
}

void SessionLayer::on_get_future_salts(int64_t msg_id, ByteView body) {
  TlReader r(body);
  r.expect(ids::kGetFutureSalts);
  int32_t num = r.read_int32();
  if (!r.ok()) {
    spdlog::debug("embedded: malformed get_future_salts dropped");
    return;
  }
  num = std::clamp(num, 1, 64);
  const double period = service_.config().salt_rotation_s;
  auto window = static_cast<int64_t>(std::floor(now_ / period));
  Bytes out;
  TlWriter w(out);
  w.write_uint32(ids::kFutureSalts);
  w.write_int64(msg_id);
  w.write_int32(static_cast<int32_t>(now_));
  w.write_bare_vector_count(uint32_t(num));
  for (int32_t i = 0; i < num; ++i) {
    int64_t index = window + i;
    // A salt is current for one period and accepted for one more (salt_valid).
    w.write_int32(static_cast<int32_t>(double(index) * period));
    w.write_int32(static_cast<int32_t>(double(index + 2) * period));
    w.write_int64(service_.salt_for_window(session_.key.auth_key_id, index));
  }
  emit(std::move(out), false, true);
}

uint8_t SessionLayer::msg_state(int64_t msg_id) const {
  if (const ReceivedMsg* received = session_.received.find(msg_id)) {
    uint8_t state = 4;
    if ((received->seq_no & 1) == 0) state |= 16;
    if (session_.results.contains(msg_id)) state |= 32 | 64;
    return state;
  }
  if (msg_id <= session_.forgotten_up_to) return 1;
  if (double(msg_id >> 32) > now_ + 30) return 3;
  return 2;
}

void SessionLayer::on_msgs_state_req(int64_t msg_id, ByteView body) {
  TlReader r(body);
  r.read_uint32();
  uint32_t count = r.read_vector_header(8);
  if (!r.ok() || count > kMaxIdsPerRequest) {
    spdlog::debug("embedded: malformed msgs_state_req dropped");
    return;
  }
  Bytes info;
  for (uint32_t i = 0; i < count; ++i) info.push_back(msg_state(r.read_int64()));
  emit_state_info(msg_id, info);
}

void SessionLayer::emit_state_info(int64_t req_msg_id, const Bytes& info) {
  Bytes out;
  TlWriter w(out);
  w.write_uint32(ids::kMsgsStateInfo);
  w.write_int64(req_msg_id);
  w.write_bytes(info);
  emit(std::move(out), false, true);
}

void SessionLayer::on_msg_resend_req(int64_t msg_id, ByteView body) {
  TlReader r(body);
  r.expect(ids::kMsgResendReq);
  uint32_t count = r.read_vector_header(8);
  if (!r.ok() || count > kMaxIdsPerRequest) {
    spdlog::debug("embedded: malformed msg_resend_req dropped");
    return;
  }
  std::vector<int64_t> wanted(count);
  for (auto& id : wanted) id = r.read_int64();
  // Stored answers by their own msg_id (results are kept by the query's), built on first need.
  std::vector<std::pair<int64_t, const OutMessage*>> stored;
  auto find_stored = [&](int64_t id) -> const OutMessage* {
    if (stored.empty()) {
      for (const StoredResult& s : session_.results)
        stored.emplace_back(s.answer.msg_id, &s.answer);
      std::sort(stored.begin(), stored.end());
    }
    auto it = std::lower_bound(stored.begin(), stored.end(),
                               std::pair<int64_t, const OutMessage*>{id, nullptr});
    return it != stored.end() && it->first == id ? it->second : nullptr;
  };
  std::vector<const OutMessage*> found;
  Bytes info;
  size_t missing = 0;
  for (int64_t id : wanted) {
    const OutMessage* hit = nullptr;
    if (const QueuedMessage* queued = find_unacked(id)) hit = &queued->message;
    if (hit == nullptr) hit = find_stored(id);
    // One copy per distinct message, however often this packet names it.
    if (hit != nullptr && first_repeat(id)) found.push_back(hit);
    if (hit == nullptr) ++missing;
    info.push_back(hit ? 4 : 1);
  }
  if (missing == 0) {
    // Resent as they were first sent (same msg_id and seq_no).
    for (const OutMessage* m : found) out_.replies.push_back(*m);
    return;
  }
  emit_state_info(msg_id, info);
}

void SessionLayer::on_rpc_drop_answer(int64_t msg_id, ByteView body) {
  TlReader r(body);
  r.expect(ids::kRpcDropAnswer);
  int64_t req_msg_id = r.read_int64();
  if (!r.ok()) {
    spdlog::debug("embedded: malformed rpc_drop_answer dropped");
    return;
  }
  // Queries are answered synchronously, so nothing is ever still running: the answer is
  // either still queued (dropped now) or unknown (never seen, or already acknowledged).
  Bytes answer;
  const StoredResult* stored = session_.results.find(req_msg_id);
  if (stored != nullptr && unacked_has(stored->answer.msg_id)) {
    const OutMessage& dropped = stored->answer;
    ack(dropped.msg_id);
    TlWriter w(answer);
    w.write_uint32(ids::kRpcAnswerDropped);
    w.write_int64(dropped.msg_id);
    w.write_int32(dropped.seq_no);
    w.write_int32(static_cast<int32_t>(dropped.body->size()));
  } else {
    answer = body_of({ids::kRpcAnswerUnknown});
  }
  rpc_answer(msg_id, answer);
}

void SessionLayer::answer_duplicate(int64_t msg_id) {
  const StoredResult* stored = session_.results.find(msg_id);
  if (stored == nullptr) {
    // A service message or a query whose answer is no longer stored: nothing to repeat, and
    // it is never executed twice.
    spdlog::debug("embedded: duplicate msg_id without a stored answer ignored");
    return;
  }
  const OutMessage& answer = stored->answer;
  if (answer.body->size() <= kInlineDuplicateAnswer || unacked_has(answer.msg_id)) {
    // Once per packet, however many of its messages repeat the query.
    if (first_repeat(answer.msg_id)) out_.replies.push_back(answer);
    return;
  }
  Bytes out;
  TlWriter w(out);
  w.write_uint32(ids::kMsgDetailedInfo);
  w.write_int64(msg_id);
  w.write_int64(answer.msg_id);
  w.write_int32(static_cast<int32_t>(answer.body->size()));
  w.write_int32(0);
  emit(std::move(out), false, true);
}

void SessionLayer::store_result(int64_t req_msg_id, const OutMessage& answer) {
  session_.results.insert_or_assign(StoredResult{req_msg_id, answer});
  while (session_.results.size() > service_.config().max_stored_results) {
    session_.results.pop_oldest();
  }
}

void SessionLayer::rpc_answer(int64_t req_msg_id, ByteView result) {
  Bytes out;
  out.reserve(12 + result.size());
  TlWriter w(out);
  w.write_uint32(ids::kRpcResult);
  w.write_int64(req_msg_id);
  w.write_raw(result);
  OutMessage answer = emit(std::move(out), true, true);
  if (!session_.unacked.empty() && session_.unacked.back().message.msg_id == answer.msg_id) {
    session_.unacked.back().req_msg_id = req_msg_id;
  }
  store_result(req_msg_id, answer);
}

void SessionLayer::rpc(int64_t msg_id, ByteView payload) {
  // Unwrapped by the decoder before the lock.
  const Query* query = packet_.query(payload);
  if (query == nullptr) return;  // the decoder stopped before it (over budget: not processed)
  if (query->layer > 0) {
    session_.layer = query->layer;
    service_.with_key(session_.key.auth_key_id, [&](KeyState& key) { key.layer = query->layer; });
  }
  if (query->app) {
    session_.app = query->app;
    service_.with_key(session_.key.auth_key_id, [&](KeyState& key) { key.app = query->app; });
  }
  if (!query->error.empty()) {
    rpc_answer(msg_id, api::rpc_error(400, query->error));
    return;
  }

  int client_layer = session_.layer;
  if (client_layer == 0) {
    service_.with_key(session_.key.auth_key_id, [&](KeyState& key) { client_layer = key.layer; });
  }
  api::CallContext context;
  // A client that never named its layer is answered in the oldest shipped one.
  context.layer = service_.schemas().pick_layer(client_layer > 0 ? client_layer : 0);
  context.schema = service_.schemas().layer(context.layer);
  context.auth_key_id = session_.key.auth_key_id;
  context.session_id = session_.key.session_id;
  context.now = now_;
  context.pushes = &pushes_;
  context.flood_waits = &out_.flood_waits;
  state::WrittenLsn written;
  Bytes result = service_.dispatcher().call(context, query->method);
  if (written.lsn() != 0 && service_.storage() != nullptr) {
    // It changed the state: answered once that is durable (Outcome::durable_lsn).
    out_.durable_lsn = std::max(out_.durable_lsn, written.lsn());
    out_.held_answers.push_back(HeldAnswer{msg_id, std::move(result)});
    return;
  }
  rpc_answer(msg_id, result);
}

}  // namespace mtedge::backend::embedded
