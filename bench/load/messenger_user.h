// One signed-in user of mtedge-load's messenger mode, on one connection of its own: after the
// DH handshake it signs in with a test number (sendCode, signIn, signUp if the account is new),
// then either sends messages.sendMessage to its partner (the pair's sender, which first finds
// the partner with contacts.importContacts) or reads the updateShortMessage pushes (the pair's
// receiver) and matches each to its send by the sequence number that starts the text.
//
// The two users of a pair share a MessengerPair (owned by the Runner): the messages in flight
// with their send times. A message leaves the window once it was both answered (the
// sender's rpc_result) and delivered (the receiver's push); at most --inflight are in flight
// per pair. Every answer is checked: an rpc_error is counted by name (FLOOD_WAIT_X also
// pauses the sender that long, as a client must), anything else unexpected ends the connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "bench/load/messenger_tl.h"
#include "bench/load/mtproto_client.h"

namespace mtedge::bench {

class Runner;

struct MessengerPair {
  struct InFlight {
    uint64_t seq;
    uint64_t sent_ns;
    size_t size;
    bool answered;
    bool delivered;
  };
  UserRef sender;    // the sender's own id (access_hash unused)
  UserRef receiver;  // id; access_hash as the sender sees it, after importContacts
  bool receiver_ready = false;
  uint64_t next_seq = 0;
  int64_t random_base = 0;  // random_id = base + seq: fresh per run, so sends are never dups
  std::vector<InFlight> inflight;
};

class MessengerUser {
 public:
  // What the user needs from its connection.
  class Io {
   public:
    virtual ~Io() = default;
    // Encrypts and writes one query; returns its msg_id.
    virtual uint64_t send_query(ByteView body) = 0;
    virtual void fail(const std::string& kind) = 0;
    // Sign-in (and, for a sender, finding the partner) is done.
    virtual void ready() = 0;
  };

  MessengerUser(Runner& runner, Io& io, unsigned slot);

  bool is_sender() const { return slot_ % 2 == 0; }
  // The handshake is done: starts signing in.
  void start();
  // Handles a payload's rpc_results and pushed updates.
  void on_messages(const MtprotoClient& client);
  // The server dropped these msg_ids (bad_server_salt): sends those queries again.
  void resend(const std::vector<uint64_t>& rejected);
  // Sends what may be sent now: the partner lookup once the receiver is in, messages while
  // the pair's window has room (traffic started, no FLOOD_WAIT pause, --rate tokens).
  void pump();

 private:
  enum class Step : uint8_t { kSendCode, kSignIn, kSignUp, kWaitPartner, kFindPartner, kReady };

  struct Query {
    uint64_t msg_id;
    uint64_t seq;  // sendMessage: the message's sequence number
    Bytes body;
  };

  MessengerPair& pair();
  void send(Bytes body, uint64_t seq = 0);
  void on_result(uint64_t req_msg_id, ByteView body);
  void on_sign_in_answer(ByteView body);
  void on_send_answer(uint64_t seq, ByteView body);
  void on_update(ByteView body);
  void send_message();
  void retire(MessengerPair::InFlight* message);
  std::string phone() const;

  Runner& runner_;
  Io& io_;
  unsigned slot_;
  Step step_ = Step::kSendCode;
  std::string code_hash_;
  std::vector<Query> queries_;  // sent, not answered yet
  uint64_t paused_until_ns_ = 0;
  std::string text_;  // scratch for the next message's text
};

}  // namespace mtedge::bench
