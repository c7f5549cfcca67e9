// Copies a hiredis redisReply into a Reply (hiredis frees its own after the callback).
#pragma once

#include <hiredis/hiredis.h>

#include "redis/reply.h"

namespace mtedge::redis {

// Nesting is bounded by hiredis's reader (a few levels), so the recursion is too.
Reply copy_reply(const redisReply& reply);

}  // namespace mtedge::redis
