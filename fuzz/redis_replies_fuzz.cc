// libFuzzer target: what a Redis node sends the client. The input is a RESP2 byte stream;
// hiredis's reader, bounded as a connection's is, parses it, every reply is copied into a Reply,
// read as a CLUSTER SLOTS reply (the slot map parser) and, when it is an error or status, as
// a MOVED/ASK redirect. Whatever the bytes, nothing crashes, and a slot map that parses
// only ever names masters for slots in range.
#include <hiredis/hiredis.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "redis/hiredis_reply.h"
#include "redis/slot_map.h"

namespace {

void check(const mtedge::redis::Reply& reply) {
  using mtedge::redis::SlotMap;
  auto map = SlotMap::from_cluster_slots(reply, "10.0.0.1");
  if (map) {
    size_t covered = 0;
    for (uint16_t slot = 0; slot < mtedge::redis::kSlotCount; ++slot) {
      const mtedge::redis::Address* master = map->master(slot);
      if (master == nullptr) continue;
      ++covered;
      if (master->port == 0) std::abort();
    }
    if (covered != map->covered()) std::abort();
  }
  if (reply.is_error() || reply.is_status()) {
    auto redirect = mtedge::redis::parse_redirect(reply.str());
    if (redirect && (redirect->slot >= mtedge::redis::kSlotCount || redirect->target.port == 0)) {
      std::abort();
    }
  }
  (void)reply.describe();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The raw bytes as an error text too (MOVED/ASK lines straight from the input).
  (void)mtedge::redis::parse_redirect(std::string_view(reinterpret_cast<const char*>(data), size));
  redisReader* reader = redisReaderCreate();
  mtedge::redis::ReplyLimit limit;
  mtedge::redis::bound_reader(*reader, limit);  // as every connection's reader is
  if (redisReaderFeed(reader, reinterpret_cast<const char*>(data), size) == REDIS_OK) {
    for (int replies = 0; replies < 64; ++replies) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader, &raw) != REDIS_OK || raw == nullptr) break;
      check(mtedge::redis::copy_reply(*static_cast<redisReply*>(raw)));
      freeReplyObject(raw);
    }
  }
  redisReaderFree(reader);
  return 0;
}
