#include "codecs/obfuscated/secret.h"

#include <optional>

#include "base/hex.h"

namespace mtedge::codecs::obfuscated {
namespace {

// url = true: '-' '_' alphabet; else '+' '/'. Trailing '=' padding optional.
std::optional<Bytes> decode_base64(std::string_view text, bool url) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  Bytes out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == (url ? '-' : '+'))
      v = 62;
    else if (c == (url ? '_' : '/'))
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t(acc >> bits));
    }
  }
  return out;
}

Status fail(std::string_view label, std::string_view what) {
  return Status::error("secret [label = " + std::string(label) + "]: " + std::string(what));
}

// Text that is hex but for a slip (a typo, a digit lost or doubled) would otherwise be read as
// base64 and fail with a misleading size or prefix error. Base64 of a secret is never almost
// all hex digits: 30 characters with at most two others do not happen by chance.
std::optional<std::string> hex_slip(std::string_view text) {
  constexpr size_t kLooksLikeHex = 30;
  if (text.size() < kLooksLikeHex) return std::nullopt;
  size_t others = 0;
  size_t first_other = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (hex_digit_value(text[i]) < 0 && others++ == 0) first_other = i;
  }
  if (others > 2) return std::nullopt;
  if (others > 0) {
    return "not valid hex: character " + std::to_string(first_other + 1) + " of " +
           std::to_string(text.size()) + " is not a hex digit";
  }
  if (text.size() % 2 != 0) {
    return "odd number of hex digits (" + std::to_string(text.size()) +
           "): a hex secret is 32 digits, dd + 32, or ee + 32 + the domain's";
  }
  return std::nullopt;
}

}  // namespace

std::string_view secret_kind_name(SecretKind kind) {
  switch (kind) {
    case SecretKind::kPlain: return "plain";
    case SecretKind::kDd: return "dd";
    case SecretKind::kEe: return "ee";
  }
  return "unknown";
}

Result<Secret> Secret::from_text(std::string_view label, std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return fail(label, "empty");
  std::optional<Bytes> raw = decode_hex(text);
  if (!raw) {
    if (std::optional<std::string> slip = hex_slip(text)) return fail(label, *slip);
  }
  if (!raw) raw = decode_base64(text, /*url=*/true);
  if (!raw) raw = decode_base64(text, /*url=*/false);
  if (!raw) return fail(label, "not hex, base64url or base64");

  Secret s;
  s.label = std::string(label);
  const Bytes& b = *raw;
  if (b.size() == kSecretKeySize) {
    s.kind = SecretKind::kPlain;
    std::copy(b.begin(), b.end(), s.key.begin());
    return s;
  }
  if (b.size() == kSecretKeySize + 1) {
    if (b[0] != 0xdd) return fail(label, "17-byte secret must start with dd");
    s.kind = SecretKind::kDd;
    std::copy(b.begin() + 1, b.end(), s.key.begin());
    return s;
  }
  if (b.size() > kSecretKeySize + 1) {
    if (b[0] != 0xee) {
      return fail(label, "secret longer than 17 bytes must start with ee (fake-TLS) [size = " +
                             std::to_string(b.size()) + "]");
    }
    size_t domain_size = b.size() - 1 - kSecretKeySize;
    if (domain_size > kMaxDomainSize) {
      return fail(label, "fake-TLS domain too long [size = " + std::to_string(domain_size) +
                             ", max = " + std::to_string(kMaxDomainSize) + "]");
    }
    s.kind = SecretKind::kEe;
    std::copy(b.begin() + 1, b.begin() + 1 + kSecretKeySize, s.key.begin());
    s.domain.assign(b.begin() + 1 + kSecretKeySize, b.end());
    for (char c : s.domain) {
      if (c <= 0x20 || c >= 0x7f) return fail(label, "fake-TLS domain is not printable ASCII");
    }
    return s;
  }
  return fail(label,
              "bad size [size = " + std::to_string(b.size()) + ", want 16, dd+16 or ee+16+domain]");
}

std::string Secret::to_hex() const {
  Bytes b;
  if (kind == SecretKind::kDd) b.push_back(0xdd);
  if (kind == SecretKind::kEe) b.push_back(0xee);
  b.insert(b.end(), key.begin(), key.end());
  if (kind == SecretKind::kEe) b.insert(b.end(), domain.begin(), domain.end());
  return encode_hex(b);
}

}  // namespace mtedge::codecs::obfuscated
