#include "redis/hiredis_reply.h"

#include <string>
#include <vector>

namespace mtedge::redis {

namespace {

// hiredis's own reply functions (what redisReaderCreate installs), copied once.
const redisReplyObjectFunctions& default_functions() {
  static const redisReplyObjectFunctions functions = [] {
    redisReader* reader = redisReaderCreate();
    redisReplyObjectFunctions copy = *reader->fn;
    redisReaderFree(reader);
    return copy;
  }();
  return functions;
}

void* create_bounded_array(const redisReadTask* task, int elements) {
  if (elements < 0 || elements > kMaxReplyElements) {
    // The reader hands every task its privdata: the ReplyLimit given to bound_reader.
    if (task->privdata != nullptr)
      static_cast<ReplyLimit*>(task->privdata)->refused_elements = elements;
    return nullptr;  // hiredis fails the reader (REDIS_ERR_OOM)
  }
  return default_functions().createArray(task, elements);
}

redisReplyObjectFunctions* bounded_functions() {
  static redisReplyObjectFunctions functions = [] {
    redisReplyObjectFunctions copy = default_functions();
    copy.createArray = create_bounded_array;
    return copy;
  }();
  return &functions;
}

}  // namespace

void bound_reader(redisReader& reader, ReplyLimit& limit) {
  reader.fn = bounded_functions();
  reader.privdata = &limit;
}

std::string describe_refusal(const ReplyLimit& limit) {
  return std::string("reply array of ")
      .append(std::to_string(limit.refused_elements))
      .append(" elements exceeds the limit of ")
      .append(std::to_string(kMaxReplyElements));
}

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
