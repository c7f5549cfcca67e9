#include "redis/hiredis_reply.h"

#include <string>
#include <vector>

namespace mtedge::redis {

Reply copy_reply(const redisReply& reply) {
  auto text = [&] { return std::string(reply.str ? reply.str : "", reply.str ? reply.len : 0); };
  switch (reply.type) {
    case REDIS_REPLY_INTEGER: return Reply::integer(reply.integer);
    case REDIS_REPLY_STATUS: return Reply::status(text());
    case REDIS_REPLY_ERROR: return Reply::error(text());
    case REDIS_REPLY_STRING: return Reply::string(text());
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) {
        elements.push_back(reply.element[i] ? copy_reply(*reply.element[i]) : Reply::nil());
      }
      return Reply::array(std::move(elements));
    }
    default: return Reply::nil();
  }
}

}  // namespace mtedge::redis
