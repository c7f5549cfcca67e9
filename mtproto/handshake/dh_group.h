// The Diffie-Hellman group the server offers in server_DH_inner_data (docs/spec/wire-notes.md §7.4
// item 5).
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::mtproto {

struct DhGroup {
  Bytes prime;  // 256 bytes big-endian, a 2048-bit safe prime
  uint32_t g = 3;

  // The prime Telegram's production servers send (starts C7 1C AE B9, ends B9 2F CC 5B), with
  // g = 3 (valid: p mod 3 == 2). Clients (tdlib) know it and skip their own primality test.
  static const DhGroup& telegram_default();

  // Checks the group once: 2048-bit safe prime (BN_check_prime on p and (p-1)/2) and g a
  // generator of the order-(p-1)/2 subgroup. The result for a given (p, g) is memoized for the
  // process, so creating several contexts pays the cost (~0.1-1 s) once.
  Status check() const;
};

}  // namespace mtedge::mtproto
