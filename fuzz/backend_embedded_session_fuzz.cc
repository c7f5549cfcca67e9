// Fuzzes the embedded session layer with arbitrary decrypted messages (what an authenticated
// but hostile client can send after the edge stage decrypted it): containers, gzip_packed,
// service messages, invokeWithLayer/initConnection wrappers and API queries.
//
// Input: flags u8 | session u8 | seq_no i32 LE | msg_id offset i16 LE (seconds) | body.
//   flags bit 0: use the key's current salt (else salt 0 -> bad_server_salt)
//   flags bit 1: make msg_id % 4 != 0
#include <cstdint>
#include <cstring>
#include <memory>

#include "backend-adapters/embedded/session/session_service.h"
#include "mtproto/tl/schema.h"

using namespace mtedge;
using namespace mtedge::backend;

namespace {

embedded::SessionService& service() {
  static embedded::SessionService* instance = [] {
    embedded::EmbeddedConfig config;
    config.max_sessions = 64;
    config.max_auth_keys = 64;
    config.max_queued_messages = 16;
    config.max_stored_results = 16;
    config.max_remembered_msg_ids = 64;
    config.max_inflate_bytes = 64 * 1024;
    auto schemas = mtproto::tl::SchemaSet::load_embedded();
    if (!schemas) __builtin_trap();
    return new embedded::SessionService(config, schemas.value());
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  embedded::SessionService& svc = service();
  const uint64_t key = 0x1234;
  double now = embedded::system_clock_now();
  uint8_t flags = data[0];
  int64_t session_id = data[1] & 7;
  int32_t seq_no = int32_t(load_le32(data + 2));
  auto offset = int16_t(load_le16(data + 6));
  auto seconds = static_cast<int64_t>(now) + offset;
  static uint32_t counter = 0;
  int64_t msg_id = (seconds << 32) | int64_t(uint32_t(++counter) << 2);
  if (flags & 2) msg_id |= 1;

  Frame frame;
  frame.conn_id = make_conn_id(0, session_id + 1);
  frame.kind = FrameKind::kDecrypted;
  frame.auth_key_id = key;
  frame.salt = (flags & 1) ? svc.current_salt(key, now) : 0;
  frame.session_id = session_id;
  frame.msg_id = msg_id;
  frame.seq_no = seq_no;
  frame.body = ByteView(data + 8, size - 8);
  embedded::Outcome out = svc.handle(frame.conn_id, frame);
  for (const auto& m : out.replies) {
    if (!m.body || m.body->size() % 4 != 0) __builtin_trap();  // every reply is a TL body
  }
  return 0;
}
