#include "redis/slot_map.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>
#include <unordered_map>

namespace mtedge::redis {
namespace {

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<Address> Address::parse(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  unsigned port = 0;
  if (!parse_number(text.substr(colon + 1), port) || port == 0 || port > 65535) {
    return std::nullopt;
  }
  return Address{std::string(text.substr(0, colon)), static_cast<uint16_t>(port)};
}

bool Address::numeric() const {
  if (host.find('\0') != std::string::npos) return false;
  unsigned char bytes[16];
  return inet_pton(AF_INET, host.c_str(), bytes) == 1 ||
         inet_pton(AF_INET6, host.c_str(), bytes) == 1;
}

Result<SlotMap> SlotMap::from_cluster_slots(const Reply& reply, std::string_view asked_host) {
  if (!reply.is_array()) return Status::error("CLUSTER SLOTS: expected an array");
  if (reply.elements().size() > kSlotCount) {
    return Status::error("CLUSTER SLOTS: more than " + std::to_string(kSlotCount) + " entries");
  }
  SlotMap map;
  std::unordered_map<std::string, uint16_t> indexes;  // master text -> index into masters_
  for (size_t i = 0; i < reply.elements().size(); ++i) {
    const std::string where = std::string("CLUSTER SLOTS: entry ").append(std::to_string(i));
    const Reply& entry = reply.elements()[i];
    if (!entry.is_array() || entry.elements().size() < 3) {
      return Status::error(where + ": expected [first, last, master, ...]");
    }
    const Reply& first = entry.elements()[0];
    const Reply& last = entry.elements()[1];
    const Reply& node = entry.elements()[2];
    if (!first.is_integer() || !last.is_integer() || first.as_integer() < 0 ||
        last.as_integer() >= kSlotCount || first.as_integer() > last.as_integer()) {
      return Status::error(where + ": bad slot range");
    }
    if (!node.is_array() || node.elements().size() < 2 || !node.elements()[0].is_string() ||
        !node.elements()[1].is_integer()) {
      return Status::error(where + ": expected a master [host, port, ...]");
    }
    const int64_t port = node.elements()[1].as_integer();
    if (port <= 0 || port > 65535) return Status::error(where + ": bad port");
    std::string host = node.elements()[0].str();
    if (host.empty()) host = std::string(asked_host);
    const Address master{std::move(host), static_cast<uint16_t>(port)};
    if (!master.numeric()) {
      return Status::error(where + ": master host is not a numeric address");
    }
    // Looked up by text, not index_of's scan: up to kSlotCount distinct masters.
    auto [known, added] =
        indexes.try_emplace(master.text(), static_cast<uint16_t>(map.masters_.size()));
    if (added) map.masters_.push_back(master);
    const uint16_t index = known->second;
    // Each slot is filled at most once (a second claim is an overlap and refuses the map), so
    // the whole reply costs at most kSlotCount fills however many entries it has.
    for (int64_t slot = first.as_integer(); slot <= last.as_integer(); ++slot) {
      if (map.owner_[slot] != kNoOwner) return Status::error(where + ": overlapping slot range");
      map.owner_[slot] = index;
    }
  }
  return map;
}

const Address* SlotMap::master(uint16_t slot) const {
  if (slot >= kSlotCount || owner_[slot] == kNoOwner) return nullptr;
  return &masters_[owner_[slot]];
}

uint16_t SlotMap::index_of(const Address& master) {
  for (size_t i = 0; i < masters_.size(); ++i) {
    if (masters_[i] == master) return static_cast<uint16_t>(i);
  }
  // A master owns at least one slot, so more than kSlotCount of them is nonsense: refused.
  if (masters_.size() >= kSlotCount) return kNoOwner;
  masters_.push_back(master);
  return static_cast<uint16_t>(masters_.size() - 1);
}

void SlotMap::assign(uint16_t slot, const Address& master) {
  if (slot >= kSlotCount) return;
  const uint16_t index = index_of(master);
  if (index < kSlotCount) owner_[slot] = index;
}

size_t SlotMap::covered() const {
  size_t n = 0;
  for (uint16_t owner : owner_) n += owner != kNoOwner;
  return n;
}

std::optional<Redirect> parse_redirect(std::string_view error) {
  Redirect redirect;
  if (error.starts_with("MOVED ")) {
    redirect.kind = Redirect::Kind::kMoved;
    error.remove_prefix(6);
  } else if (error.starts_with("ASK ")) {
    redirect.kind = Redirect::Kind::kAsk;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const size_t space = error.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  unsigned slot = 0;
  if (!parse_number(error.substr(0, space), slot) || slot >= kSlotCount) return std::nullopt;
  auto target = Address::parse(error.substr(space + 1));
  if (!target) return std::nullopt;
  redirect.slot = static_cast<uint16_t>(slot);
  redirect.target = std::move(*target);
  return redirect;
}

}  // namespace mtedge::redis
