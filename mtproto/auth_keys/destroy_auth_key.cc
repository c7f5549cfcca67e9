#include "mtproto/auth_keys/destroy_auth_key.h"

namespace mtedge::mtproto {

uint32_t destroy_auth_key(AuthKeyStore& store, uint64_t auth_key_id) {
  auto erased = store.erase(auth_key_id);
  if (!erased) return kDestroyAuthKeyFail;
  return erased.value() ? kDestroyAuthKeyOk : kDestroyAuthKeyNone;
}

Bytes destroy_auth_key_answer(AuthKeyStore& store, uint64_t auth_key_id) {
  Bytes out;
  append_le32(out, destroy_auth_key(store, auth_key_id));
  return out;
}

}  // namespace mtedge::mtproto
