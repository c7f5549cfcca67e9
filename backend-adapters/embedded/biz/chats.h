// Basic groups: what the 1:1 message methods hand over when the peer is a chat.
#pragma once

#include "backend-adapters/embedded/biz/common.h"

namespace mtedge::backend::embedded::biz {

// messages.sendMessage to an inputPeerChat (text already checked): one state::ChatMessageSent
// with a copy in every member's box. The sender is answered `updates` (updateMessageID +
// updateNewMessage, users, chats); every other member's sessions and the sender's other
// sessions get updateShortChatMessage with their own copy's id and pts.
Bytes send_chat_message(state::Store& store, const CallContext& c, const tl::Object& q);

}  // namespace mtedge::backend::embedded::biz
