// The messenger's API methods (accounts, users, contacts, messages, basic groups, updates) over the
// shared in-memory state. Each area registers its handlers on the dispatcher; every handler reads
// and writes the state through state::Store and leaves updates for other sessions in
// CallContext::pushes.
#pragma once

#include <memory>
#include <vector>

#include "backend-adapters/embedded/api/dispatcher.h"
#include "backend-adapters/embedded/state/store.h"

namespace mtedge::backend::embedded::biz {

// Registers every area's methods and the dispatcher's key -> user lookup.
void add_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store);

void add_auth_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store);
void add_users_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store);
void add_account_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store);
void add_contacts_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store);
void add_messages_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store);
void add_updates_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store);
void add_chats_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store);

// updateUserStatus of `user_id` (as its presence shows it now) for every user that saved it as
// a contact, each for all of its sessions.
std::vector<api::Push> status_pushes(const state::Model& model, int64_t user_id, int32_t date);

}  // namespace mtedge::backend::embedded::biz
