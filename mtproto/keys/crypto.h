// The mtproto crypto layer in one include: hashes, AES (IGE, CTR), RSA, DH big numbers, auth
// keys and the MTProto 2.0 / handshake key derivations. See docs/mtproto-crypto.md.
#pragma once

#include "crypto/aes_ige.h"       // IWYU pragma: export
#include "mtproto/keys/auth_key.h"  // IWYU pragma: export
#include "crypto/bignum.h"    // IWYU pragma: export
#include "crypto/hash.h"      // IWYU pragma: export
#include "mtproto/keys/kdf.h"       // IWYU pragma: export
#include "crypto/random.h"    // IWYU pragma: export
#include "crypto/rsa.h"       // IWYU pragma: export
