#include "backend-adapters/embedded/state/records.h"

#include <fmt/format.h>

#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::backend::embedded::state {
namespace {

constexpr uint32_t kMaxItems = 4096;  // items in any list (entities, fields, members, copies)

// One field list per record type, shared by the writer and the reader.
template <class IO>
void fields(IO& io, CodeSent& r) {
  io(r.phone), io(r.hash), io(r.code), io(r.expires);
}
template <class IO>
void fields(IO& io, CodeUsed& r) {
  io(r.phone);
}
template <class IO>
void fields(IO& io, UserCreated& r) {
  io(r.user_id), io(r.phone), io(r.first_name), io(r.last_name), io(r.access_secret), io(r.date);
}
template <class IO>
void fields(IO& io, KeyBound& r) {
  io(r.auth_key_id), io(r.user_id);
}
template <class IO>
void fields(IO& io, KeyUnbound& r) {
  io(r.auth_key_id);
}
template <class IO>
void fields(IO& io, ProfileSet& r) {
  io(r.user_id), io(r.first_name), io(r.last_name), io(r.about);
}
template <class IO>
void fields(IO& io, UsernameSet& r) {
  io(r.user_id), io(r.username);
}
template <class IO>
void fields(IO& io, ContactAdded& r) {
  io(r.owner), io(r.contact), io(r.first_name), io(r.last_name);
}
template <class IO>
void fields(IO& io, MessageSent& r) {
  io(r.from), io(r.to), io(r.random_id), io(r.date), io(r.text), io(r.entities);
  io(r.from_msg_id), io(r.from_pts), io(r.to_msg_id), io(r.to_pts);
}
template <class IO>
void fields(IO& io, HistoryRead& r) {
  io(r.reader), io(r.peer), io(r.max_id), io(r.reader_pts), io(r.peer_max_id), io(r.peer_pts);
}

template <class IO>
void fields(IO& io, ChatCreated& r) {
  io(r.chat_id), io(r.creator), io(r.title), io(r.date), io(r.members);
}
template <class IO>
void fields(IO& io, ChatUserAdded& r) {
  io(r.chat_id), io(r.user_id), io(r.inviter), io(r.date);
}
template <class IO>
void fields(IO& io, ChatUserRemoved& r) {
  io(r.chat_id), io(r.user_id), io(r.kicked);
}
template <class IO>
void fields(IO& io, ChatTitleSet& r) {
  io(r.chat_id), io(r.title);
}
template <class IO>
void fields(IO& io, ChatMessageSent& r) {
  io(r.chat_id), io(r.from), io(r.random_id), io(r.date), io(r.text), io(r.entities);
  io(r.action), io(r.copies);
}
template <class IO>
void fields(IO& io, MessageEdited& r) {
  io(r.owner), io(r.msg_id), io(r.pts), io(r.edit_date), io(r.text), io(r.entities);
}
template <class IO>
void fields(IO& io, MessagesDeleted& r) {
  io(r.owner), io(r.ids), io(r.pts);
}
template <class IO>
void fields(IO& io, PeerBlocked& r) {
  io(r.owner), io(r.peer), io(r.date);
}
template <class IO>
void fields(IO& io, PeerUnblocked& r) {
  io(r.owner), io(r.peer);
}
template <class IO>
void fields(IO& io, SnapshotBox& r) {
  io(r.owner), io(r.pts);
}
template <class IO>
void fields(IO& io, SnapshotMessage& r) {
  io(r.owner), io(r.id), io(r.peer), io(r.out), io(r.date), io(r.text), io(r.entities);
  io(r.pts), io(r.peer_msg_id), io(r.random_id), io(r.from), io(r.action), io(r.edit_date);
  io(r.deleted);
}
template <class IO>
void fields(IO& io, SnapshotEvent& r) {
  io(r.owner), io(r.kind), io(r.pts), io(r.msg_id), io(r.peer), io(r.max_id), io(r.still_unread);
  io(r.ids);
}
template <class IO>
void fields(IO& io, SnapshotDialog& r) {
  io(r.owner), io(r.peer), io(r.top_message), io(r.read_inbox_max_id), io(r.read_outbox_max_id);
  io(r.unread_count);
}
template <class IO>
void fields(IO& io, SnapshotChat& r) {
  io(r.chat_id), io(r.title), io(r.creator), io(r.date), io(r.version), io(r.members);
  io(r.kicked);
}

class Writer {
 public:
  explicit Writer(Bytes& out) : w_(out) {}
  void operator()(const int32_t& v) { w_.write_int32(v); }
  void operator()(const int64_t& v) { w_.write_int64(v); }
  void operator()(const uint64_t& v) { w_.write_uint64(v); }
  void operator()(const std::string& v) { w_.write_string(v); }
  void operator()(const bool& v) { w_.write_bool(v); }
  void operator()(const std::vector<int64_t>& ids) {
    w_.write_uint32(uint32_t(ids.size()));
    for (int64_t id : ids) w_.write_int64(id);
  }
  void operator()(const ChatAction& a) {
    w_.write_int32(int32_t(a.kind));
    w_.write_string(a.title);
    (*this)(a.users);
  }
  void operator()(const std::vector<SnapshotChatMember>& members) {
    w_.write_uint32(uint32_t(members.size()));
    for (const SnapshotChatMember& m : members) {
      w_.write_int64(m.user_id);
      w_.write_int64(m.inviter);
      w_.write_int32(m.date);
    }
  }
  void operator()(const std::vector<ChatCopy>& copies) {
    w_.write_uint32(uint32_t(copies.size()));
    for (const ChatCopy& copy : copies) {
      w_.write_int64(copy.user_id);
      w_.write_int32(copy.msg_id);
      w_.write_int32(copy.pts);
    }
  }
  void operator()(const std::vector<int32_t>& ids) {
    w_.write_uint32(uint32_t(ids.size()));
    for (int32_t id : ids) w_.write_int32(id);
  }
  void operator()(const std::vector<Entity>& entities) {
    w_.write_uint32(uint32_t(entities.size()));
    for (const Entity& e : entities) {
      w_.write_string(e.type);
      w_.write_int32(e.offset);
      w_.write_int32(e.length);
      w_.write_uint32(uint32_t(e.fields.size()));
      for (const EntityField& f : e.fields) {
        w_.write_string(f.name);
        w_.write_uint32(uint32_t(f.kind));
        w_.write_int64(f.number);
        w_.write_string(f.text);
      }
    }
  }

 private:
  mtproto::TlWriter w_;
};

class Reader {
 public:
  explicit Reader(mtproto::TlReader& r) : r_(r) {}
  void operator()(int32_t& v) { v = r_.read_int32(); }
  void operator()(int64_t& v) { v = r_.read_int64(); }
  void operator()(uint64_t& v) { v = r_.read_uint64(); }
  void operator()(std::string& v) { v = std::string(r_.read_string()); }
  void operator()(bool& v) {
    const uint32_t id = r_.read_uint32();
    if (id != mtproto::kTlBoolTrue && id != mtproto::kTlBoolFalse) return fail();
    v = id == mtproto::kTlBoolTrue;
  }
  void operator()(std::vector<int64_t>& ids) {
    uint32_t count = r_.read_uint32();
    if (count > kMaxItems) return fail();
    for (uint32_t i = 0; i < count && ok(); ++i) ids.push_back(r_.read_int64());
  }
  void operator()(ChatAction& a) {
    const int32_t kind = r_.read_int32();
    if (kind < 0 || kind > int32_t(ChatAction::Kind::kEditTitle)) return fail();
    a.kind = ChatAction::Kind(kind);
    a.title = std::string(r_.read_string());
    (*this)(a.users);
  }
  void operator()(std::vector<SnapshotChatMember>& members) {
    uint32_t count = r_.read_uint32();
    if (count > kMaxItems) return fail();
    for (uint32_t i = 0; i < count && ok(); ++i) {
      SnapshotChatMember& m = members.emplace_back();
      m.user_id = r_.read_int64();
      m.inviter = r_.read_int64();
      m.date = r_.read_int32();
    }
  }
  void operator()(std::vector<ChatCopy>& copies) {
    uint32_t count = r_.read_uint32();
    if (count > kMaxItems) return fail();
    for (uint32_t i = 0; i < count && ok(); ++i) {
      ChatCopy& copy = copies.emplace_back();
      copy.user_id = r_.read_int64();
      copy.msg_id = r_.read_int32();
      copy.pts = r_.read_int32();
    }
  }
  void operator()(std::vector<int32_t>& ids) {
    uint32_t count = r_.read_uint32();
    if (count > kMaxItems) return fail();
    for (uint32_t i = 0; i < count && ok(); ++i) ids.push_back(r_.read_int32());
  }
  void operator()(std::vector<Entity>& entities) {
    uint32_t count = r_.read_uint32();
    if (count > kMaxItems) return fail();
    for (uint32_t i = 0; i < count && ok(); ++i) {
      Entity& e = entities.emplace_back();
      e.type = std::string(r_.read_string());
      e.offset = r_.read_int32();
      e.length = r_.read_int32();
      uint32_t nfields = r_.read_uint32();
      if (nfields > kMaxItems) return fail();
      for (uint32_t j = 0; j < nfields && ok(); ++j) {
        EntityField& f = e.fields.emplace_back();
        f.name = std::string(r_.read_string());
        uint32_t kind = r_.read_uint32();
        if (kind < 1 || kind > 4) return fail();
        f.kind = EntityField::Kind(kind);
        f.number = r_.read_int64();
        f.text = std::string(r_.read_string());
      }
    }
  }
  bool ok() const { return ok_ && r_.ok(); }

 private:
  void fail() { ok_ = false; }
  mtproto::TlReader& r_;
  bool ok_ = true;
};

template <size_t I = 0>
Result<Record> decode_as(size_t index, mtproto::TlReader& in) {
  if constexpr (I < std::variant_size_v<Record>) {
    if (index != I) return decode_as<I + 1>(index, in);
    std::variant_alternative_t<I, Record> record;
    Reader reader(in);
    fields(reader, record);
    if (!reader.ok() || !in.at_end()) {
      return Status::error(fmt::format("state record malformed [tag = {}]", I + 1));
    }
    return Record(std::move(record));
  } else {
    return Status::error(fmt::format("state record has an unknown tag [tag = {}]", index + 1));
  }
}

}  // namespace

Bytes encode(const Record& record) {
  Bytes out;
  out.push_back(uint8_t(record.index() + 1));
  Writer writer(out);
  Record copy = record;  // fields() takes the record mutable (the reader fills the same list)
  std::visit([&](auto& r) { fields(writer, r); }, copy);
  return out;
}

Result<Record> decode(ByteView bytes) {
  if (bytes.empty()) return Status::error("state record is empty");
  mtproto::TlReader in(bytes.subspan(1));
  return decode_as(size_t(bytes[0]) - 1, in);
}

}  // namespace mtedge::backend::embedded::state
