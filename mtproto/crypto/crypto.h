// The mtproto crypto layer in one include: hashes, AES (IGE, CTR), RSA, DH big numbers, auth
// keys and the MTProto 2.0 / handshake key derivations. See docs/mtproto-crypto.md.
#pragma once

#include "mtproto/crypto/aes.h"       // IWYU pragma: export
#include "mtproto/crypto/auth_key.h"  // IWYU pragma: export
#include "mtproto/crypto/bignum.h"    // IWYU pragma: export
#include "mtproto/crypto/hash.h"      // IWYU pragma: export
#include "mtproto/crypto/kdf.h"       // IWYU pragma: export
#include "mtproto/crypto/random.h"    // IWYU pragma: export
#include "mtproto/crypto/rsa.h"       // IWYU pragma: export
