// MTProxy secrets (docs/spec/wire-notes.md §3.2): 16 bytes plain, `dd` + 16 ("secure", padded
// intermediate), `ee` + 16 + domain (fake-TLS; domain = SNI the client sends). The key used
// for SHA-256 / HMAC is always the 16 bytes S (prefix byte and domain excluded).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::codecs::obfuscated {

enum class SecretKind : uint8_t { kPlain, kDd, kEe };

std::string_view secret_kind_name(SecretKind kind);

inline constexpr size_t kSecretKeySize = 16;
inline constexpr size_t kMaxDomainSize = 182;  // tdlib's cap

struct Secret {
  std::string label;  // the name used in logs and ConnInfo, never the secret itself
  SecretKind kind = SecretKind::kPlain;
  std::array<uint8_t, kSecretKeySize> key{};
  std::string domain;  // kEe only

  // Parses a secret as written in config: hex, else base64url, else base64 (tdlib's order).
  // 16 bytes -> plain; 17 bytes starting 0xdd -> dd; >= 18 bytes starting 0xee -> ee with
  // the rest as domain (1..182 printable ASCII bytes). Error messages name the label and the
  // problem, never the secret's text.
  static Result<Secret> from_text(std::string_view label, std::string_view text);

  ByteView key_view() const { return ByteView(key); }
  // The full secret in hex, as clients take it (prefix + key + hex domain).
  std::string to_hex() const;
};

}  // namespace mtedge::codecs::obfuscated
