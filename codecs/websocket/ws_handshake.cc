#include "codecs/websocket/ws_handshake.h"

#include <openssl/evp.h>  // base64

#include "crypto/hash.h"

namespace mtedge::codecs::websocket {
namespace {

void put(Bytes& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string compute_accept(std::string_view key) {
  std::string input(trim(key));
  input.append(kGuid);
  const crypto::Sha1Digest digest = crypto::sha1(as_bytes(input));
  unsigned char encoded[4 * ((sizeof digest + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, digest.data(), static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
}

bool offers_binary(std::string_view protocols) {
  while (!protocols.empty()) {
    size_t comma = protocols.find(',');
    std::string_view item = trim(protocols.substr(0, comma));
    if (item == kProtocol) return true;
    if (comma == std::string_view::npos) break;
    protocols.remove_prefix(comma + 1);
  }
  return false;
}

bool valid_key(std::string_view key) {
  key = trim(key);
  if (key.size() != 24 || key.substr(22) != "==") return false;
  unsigned char decoded[18];
  int n = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(key.data()), 24);
  return n == 18;  // 18 = 16 bytes + 2 padding positions
}

Status build_handshake_response(std::string_view key, std::string_view protocols,
                                std::string_view version, Bytes& out) {
  if (trim(version) != "13") return Status::error("websocket: unsupported version");
  if (!valid_key(key)) return Status::error("websocket: bad Sec-WebSocket-Key");
  put(out,
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ");
  put(out, compute_accept(key));
  put(out, "\r\n");
  if (offers_binary(protocols)) put(out, "Sec-WebSocket-Protocol: binary\r\n");
  put(out, "\r\n");
  return Status::ok();
}

void encode_version_error(Bytes& out) {
  put(out,
      "HTTP/1.1 426 Upgrade Required\r\n"
      "Connection: close\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Content-Length: 0\r\n\r\n");
}

void encode_upgrade_request(std::string_view path, std::string_view host, std::string_view key,
                            Bytes& out) {
  put(out, "GET ");
  put(out, path);
  put(out, " HTTP/1.1\r\nHost: ");
  put(out, host);
  put(out, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  put(out, key);
  put(out, "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n\r\n");
}

}  // namespace mtedge::codecs::websocket
