#include "bench/load/messenger_user.h"

#include <uv.h>

#include <algorithm>
#include <charconv>

#include "bench/load/runner.h"

namespace mtedge::bench {

namespace {

// A message's text: its sequence number in decimal, a space, then filler up to `size` bytes.
void make_text(uint64_t seq, size_t size, std::string& text) {
  text = std::to_string(seq);
  text += ' ';
  if (text.size() < size) text.append(size - text.size(), 'x');
}

bool read_seq(std::string_view text, uint64_t& seq) {
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + space, seq);
  return ec == std::errc() && ptr == text.data() + space;
}

}  // namespace

MessengerUser::MessengerUser(Runner& runner, Io& io, unsigned slot)
    : runner_(runner), io_(io), slot_(slot) {}

MessengerPair& MessengerUser::pair() {
  return runner_.pair(slot_ / 2);
}

std::string MessengerUser::phone() const {
  return test_phone(runner_.options().dc, slot_);
}

void MessengerUser::start() {
  send(runner_.messenger_tl().send_code(phone()));
}

void MessengerUser::send(Bytes body, uint64_t seq) {
  const uint64_t msg_id = io_.send_query(body);
  queries_.push_back({msg_id, seq, std::move(body)});
}

void MessengerUser::resend(const std::vector<uint64_t>& rejected) {
  for (uint64_t id : rejected) {
    auto it = std::find_if(queries_.begin(), queries_.end(),
                           [id](const Query& q) { return q.msg_id == id; });
    if (it == queries_.end()) continue;
    ++runner_.stats().salt_resends;
    it->msg_id = io_.send_query(it->body);
  }
}

void MessengerUser::on_messages(const MtprotoClient& client) {
  for (const MtprotoClient::RpcResult& r : client.results()) on_result(r.req_msg_id, r.body);
  for (ByteView update : client.updates()) on_update(update);
}

void MessengerUser::on_result(uint64_t req_msg_id, ByteView body) {
  auto it = std::find_if(queries_.begin(), queries_.end(),
                         [req_msg_id](const Query& q) { return q.msg_id == req_msg_id; });
  if (it == queries_.end()) return io_.fail("unexpected_rpc_result");
  const uint64_t seq = it->seq;
  queries_.erase(it);
  if (step_ == Step::kReady) return on_send_answer(seq, body);
  on_sign_in_answer(body);
}

void MessengerUser::on_sign_in_answer(ByteView body) {
  const SignInAnswer a = runner_.messenger_tl().read_sign_in_answer(body);
  using Kind = SignInAnswer::Kind;
  if (a.kind == Kind::kError) return io_.fail("signin " + error_kind(a.error));
  switch (step_) {
    case Step::kSendCode:
      if (a.kind != Kind::kSentCode) break;
      code_hash_ = a.phone_code_hash;
      step_ = Step::kSignIn;
      return send(
          runner_.messenger_tl().sign_in(phone(), code_hash_, test_code(runner_.options().dc)));
    case Step::kSignIn:
    case Step::kSignUp:
      if (a.kind == Kind::kSignUpRequired && step_ == Step::kSignIn) {
        step_ = Step::kSignUp;
        return send(
            runner_.messenger_tl().sign_up(phone(), code_hash_, "Load" + std::to_string(slot_)));
      }
      if (a.kind != Kind::kSignedIn) break;
      if (!is_sender()) {
        pair().receiver.id = a.user.id;
        pair().receiver_ready = true;
        step_ = Step::kReady;
        io_.ready();
        runner_.pump_slot(slot_ - 1);  // the sender may look its partner up now
        return;
      }
      pair().sender.id = a.user.id;
      step_ = Step::kWaitPartner;
      return pump();
    case Step::kFindPartner:
      if (a.kind != Kind::kContact || a.user.id != pair().receiver.id) break;
      pair().receiver.access_hash = a.user.access_hash;
      step_ = Step::kReady;
      io_.ready();
      return;
    default: break;
  }
  io_.fail("signin unexpected_answer");
}

void MessengerUser::pump() {
  if (step_ == Step::kWaitPartner && pair().receiver_ready) {
    step_ = Step::kFindPartner;
    return send(runner_.messenger_tl().import_contact(test_phone(runner_.options().dc, slot_ + 1)));
  }
  if (step_ != Step::kReady || !is_sender() || !runner_.traffic_started()) return;
  if (paused_until_ns_ && uv_hrtime() < paused_until_ns_) return;
  paused_until_ns_ = 0;
  MessengerPair& p = pair();
  while (p.inflight.size() < runner_.options().inflight && runner_.take_token()) send_message();
}

void MessengerUser::send_message() {
  MessengerPair& p = pair();
  const uint64_t seq = p.next_seq++;
  const std::vector<size_t>& sizes = runner_.size_cycle();
  make_text(seq, sizes[seq % sizes.size()], text_);
  p.inflight.push_back({seq, uv_hrtime(), text_.size(), false, false});
  send(runner_.messenger_tl().send_message(p.receiver, text_, p.random_base + int64_t(seq)), seq);
}

void MessengerUser::on_send_answer(uint64_t seq, ByteView body) {
  MessengerPair& p = pair();
  auto it = std::find_if(p.inflight.begin(), p.inflight.end(),
                         [seq](const MessengerPair::InFlight& m) { return m.seq == seq; });
  if (it == p.inflight.end()) return io_.fail("unexpected_rpc_result");
  std::string error;
  if (runner_.messenger_tl().read_send_answer(body, error)) {
    it->answered = true;
    return retire(&*it);
  }
  // Not sent: it will not be delivered either.
  p.inflight.erase(it);
  ++runner_.stats().errors["rpc_error " + error_kind(error)];
  if (const unsigned wait = flood_wait_seconds(error))
    paused_until_ns_ = uv_hrtime() + uint64_t(wait) * 1'000'000'000u;
  pump();
}

void MessengerUser::on_update(ByteView body) {
  int64_t from = 0;
  std::string_view text;
  if (!runner_.messenger_tl().read_short_message(body, from, text))
    return;  // other updates are not counted
  MessengerPair& p = pair();
  uint64_t seq = 0;
  if (is_sender() || from != p.sender.id || !read_seq(text, seq))
    return io_.fail("unexpected_message");
  auto it = std::find_if(p.inflight.begin(), p.inflight.end(),
                         [seq](const MessengerPair::InFlight& m) { return m.seq == seq; });
  if (it == p.inflight.end() || it->delivered) return io_.fail("unexpected_message");
  it->delivered = true;
  if (runner_.measuring()) {
    LoadStats& stats = runner_.stats();
    ++stats.frames;
    stats.bytes_sent += it->size;
    stats.bytes_received += text.size();
    stats.latency.record(uv_hrtime() - it->sent_ns);
  }
  retire(&*it);
}

// Drops a message from the window once it was answered and delivered, and lets the sender
// fill the room.
void MessengerUser::retire(MessengerPair::InFlight* message) {
  if (!message->answered || !message->delivered) return;
  MessengerPair& p = pair();
  p.inflight.erase(p.inflight.begin() + (message - p.inflight.data()));
  runner_.pump_slot(slot_ & ~1u);
}

}  // namespace mtedge::bench
