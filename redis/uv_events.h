// Attaches a hiredis async context to a uv loop: one uv_poll_t on the context's socket,
// started for the reads and writes hiredis asks for.
//
// Why not hiredis's own adapters/libuv.h: in hiredis 0.14 it ignores a poll callback with an
// error status, and libuv reports a socket error (POLLERR, e.g. a reset by a killed server)
// exactly that way, after stopping the poll, so the connection would hang forever instead of
// failing. Here an error status makes hiredis read, which surfaces the error and tears the
// context down (its pending callbacks get NULL, its disconnect callback runs).
#pragma once

#include <uv.h>

struct redisAsyncContext;

namespace mtedge::redis {

// REDIS_OK, or REDIS_ERR when the context is already attached or the poll cannot start.
int attach_to_loop(redisAsyncContext* context, uv_loop_t* loop);

}  // namespace mtedge::redis
