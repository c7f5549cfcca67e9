#include "redis/uv_events.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace mtedge::redis {
namespace {

// Owned by the context (ac->ev.data) until cleanup; freed once libuv closed the poll.
struct UvEvents {
  redisAsyncContext* context = nullptr;  // null once hiredis cleaned up
  uv_poll_t poll{};
  int events = 0;
};

void on_poll(uv_poll_t* poll, int status, int events) {
  auto* ev = static_cast<UvEvents*>(poll->data);
  if (ev->context == nullptr) return;
  if (status < 0) {
    redisAsyncHandleRead(ev->context);  // reads the socket error; hiredis tears down
    return;
  }
  if ((events & UV_READABLE) != 0) redisAsyncHandleRead(ev->context);
  // The read may have freed the context (cleanup cleared ev->context).
  if (ev->context != nullptr && (events & UV_WRITABLE) != 0) redisAsyncHandleWrite(ev->context);
}

// Starts the poll for `add` and not `remove` on top of what it waits for (stops it at none).
void change(void* data, int add, int remove) {
  auto* ev = static_cast<UvEvents*>(data);
  ev->events = (ev->events | add) & ~remove;
  if (ev->events != 0) {
    uv_poll_start(&ev->poll, ev->events, on_poll);
  } else {
    uv_poll_stop(&ev->poll);
  }
}

void add_read(void* data) {
  change(data, UV_READABLE, 0);
}
void del_read(void* data) {
  change(data, 0, UV_READABLE);
}
void add_write(void* data) {
  change(data, UV_WRITABLE, 0);
}
void del_write(void* data) {
  change(data, 0, UV_WRITABLE);
}

void cleanup(void* data) {
  auto* ev = static_cast<UvEvents*>(data);
  ev->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&ev->poll),
           [](uv_handle_t* handle) { delete static_cast<UvEvents*>(handle->data); });
}

}  // namespace

int attach_to_loop(redisAsyncContext* context, uv_loop_t* loop) {
  if (context->ev.data != nullptr) return REDIS_ERR;
  auto* ev = new UvEvents;
  if (uv_poll_init(loop, &ev->poll, context->c.fd) != 0) {
    delete ev;
    return REDIS_ERR;
  }
  ev->poll.data = ev;
  ev->context = context;
  context->ev.addRead = add_read;
  context->ev.delRead = del_read;
  context->ev.addWrite = add_write;
  context->ev.delWrite = del_write;
  context->ev.cleanup = cleanup;
  context->ev.data = ev;
  return REDIS_OK;
}

}  // namespace mtedge::redis
