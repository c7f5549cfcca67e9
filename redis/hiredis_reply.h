// Copies a hiredis redisReply into a Reply (hiredis frees its own after the callback), and
// bounds what hiredis's reader may allocate for one reply.
#pragma once

#include <hiredis/hiredis.h>

#include <cstddef>
#include <string>

#include "redis/reply.h"

namespace mtedge::redis {

// The most elements one array reply may announce. hiredis (0.14) callocs the element table
// as soon as it reads the header, so `*244444444\r\n` alone would cost ~2 GB; no command the
// gateway sends asks for anything near this.
inline constexpr int kMaxReplyElements = 1 << 20;

// What a bounded reader refused (it then fails with hiredis's "Out of memory" error).
struct ReplyLimit {
  long long refused_elements = -1;  // the refused array's announced size, -1 when none was
};

// Makes `reader` refuse arrays of more than kMaxReplyElements (or a negative count other than
// nil's -1) by failing the reader; `limit` (which must outlive the reader) records why.
void bound_reader(redisReader& reader, ReplyLimit& limit);

// The refusal as an operator reads it ("reply array of N elements exceeds the limit of M").
std::string describe_refusal(const ReplyLimit& limit);

// Nesting is bounded by hiredis's reader (a few levels), so the recursion is too.
Reply copy_reply(const redisReply& reply);

}  // namespace mtedge::redis
