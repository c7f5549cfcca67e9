// Redis Cluster key slots: CRC16 (XMODEM: polynomial 0x1021, initial value 0, no reflection)
// of the key modulo 16384, where a key containing a non-empty hash tag "{...}" hashes only
// the tag (the bytes between the first '{' and the first '}' after it). Keys that must live
// together (one MULTI, one multi-key command) share a tag: "{user:42}:pts", "{user:42}:dialogs".
#pragma once

#include <cstdint>
#include <string_view>

namespace mtedge::redis {

inline constexpr uint16_t kSlotCount = 16384;

uint16_t crc16(std::string_view bytes);
// The part of `key` that is hashed: its hash tag when it has a non-empty one, else all of it.
std::string_view hash_tag(std::string_view key);
uint16_t key_hash_slot(std::string_view key);

}  // namespace mtedge::redis
