// The AES-256 key type shared by AES-CTR (crypto/aes_ctr.h) and AES-IGE (crypto/aes_ige.h).
#pragma once

#include <array>
#include <cstdint>

namespace mtedge::crypto {

using AesKey = std::array<uint8_t, 32>;

}  // namespace mtedge::crypto
