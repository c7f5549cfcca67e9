// destroy_auth_key#d1435160 handling (docs/spec/wire-notes.md §7.3): the client asks the server to
// forget the key the message was encrypted with (after logout).
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "mtproto/auth_keys/auth_key_store.h"

namespace mtedge::mtproto {

inline constexpr uint32_t kDestroyAuthKey = 0xd1435160;
inline constexpr uint32_t kDestroyAuthKeyOk = 0xf660e1d4;
inline constexpr uint32_t kDestroyAuthKeyNone = 0x0a9f2259;
inline constexpr uint32_t kDestroyAuthKeyFail = 0xea109b13;

// Erases `auth_key_id` from `store` and returns the answer's constructor id:
// destroy_auth_key_ok (erased), destroy_auth_key_none (not known), destroy_auth_key_fail (the
// store failed, e.g. persistence I/O; the key may still exist).
uint32_t destroy_auth_key(AuthKeyStore& store, uint64_t auth_key_id);

// The answer as a TL body (4 bytes: the constructor id), ready to be encrypted with the key
// (which the caller must still hold: the store no longer has it).
Bytes destroy_auth_key_answer(AuthKeyStore& store, uint64_t auth_key_id);

}  // namespace mtedge::mtproto
