// The API queries and answers of mtedge-load's messenger mode, in layer 144 (what Telethon 1.x
// speaks; the embedded backend answers it): sign-in with a test number, finding the partner by
// phone, and messages.sendMessage / updateShortMessage. Sans-io.
//
// Sign-in answers are read through the TL schema engine (mtproto/tl) by name; the per-message
// path (sendMessage, updateShortSentMessage, updateShortMessage) is written and read by hand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "mtproto/tl/schema.h"
#include "mtproto/tl/schema_value.h"

namespace mtedge::bench {

inline constexpr int32_t kMessengerLayer = 144;

// A test number (docs/backends/embedded.md: 99966XYYYY, X = the DC's digit) and its login code
// (X five times). `index` < 10000.
std::string test_phone(int32_t dc, unsigned index);
std::string test_code(int32_t dc);

struct UserRef {
  int64_t id = 0;
  int64_t access_hash = 0;
};

// What one sign-in step's answer says. `error` is the rpc_error message when there was one.
struct SignInAnswer {
  enum class Kind : uint8_t { kSentCode, kSignedIn, kSignUpRequired, kContact, kError };
  Kind kind = Kind::kError;
  std::string phone_code_hash;  // kSentCode
  UserRef user;                 // kSignedIn: the caller; kContact: the imported contact
  std::string error;
};

class MessengerTl {
 public:
  static Result<std::unique_ptr<MessengerTl>> load();

  // invokeWithLayer(144, initConnection(..., auth.sendCode(phone))): a session's first query.
  Bytes send_code(std::string_view phone) const;
  Bytes sign_in(std::string_view phone, std::string_view hash, std::string_view code) const;
  Bytes sign_up(std::string_view phone, std::string_view hash, std::string_view first_name) const;
  // contacts.importContacts with one phone: the answer holds that user with the access hash
  // the caller needs to write to it.
  Bytes import_contact(std::string_view phone) const;
  // The answer to any of the four above (an rpc_result's body).
  SignInAnswer read_sign_in_answer(ByteView body) const;

  // messages.sendMessage(inputPeerUser(to), text, random_id).
  Bytes send_message(const UserRef& to, std::string_view text, int64_t random_id) const;
  // The answer to sendMessage: ok (updateShortSentMessage), an rpc_error (its message in
  // `error`), or something else (`error` = "unexpected_answer").
  bool read_send_answer(ByteView body, std::string& error) const;
  // A pushed updateShortMessage: its sender and text (a view into `body`). False for any
  // other update.
  bool read_short_message(ByteView body, int64_t& from_user, std::string_view& text) const;

 private:
  explicit MessengerTl(std::shared_ptr<const mtproto::tl::SchemaSet> set);
  Bytes write(const mtproto::tl::Object& query) const;

  std::shared_ptr<const mtproto::tl::SchemaSet> set_;
  const mtproto::tl::Schema* schema_;
  // Constructor ids of the per-message path, from the schema.
  uint32_t rpc_error_ = 0;
  uint32_t send_message_ = 0;
  uint32_t input_peer_user_ = 0;
  uint32_t update_short_sent_message_ = 0;
  uint32_t update_short_message_ = 0;
};

// "FLOOD_WAIT_3" -> "FLOOD_WAIT_X", "PHONE_CODE_INVALID" unchanged: error names to count by.
std::string error_kind(std::string_view rpc_error_message);
// X of "FLOOD_WAIT_X" (seconds), 0 for other errors.
unsigned flood_wait_seconds(std::string_view rpc_error_message);

}  // namespace mtedge::bench
