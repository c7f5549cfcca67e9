#include "gateway/runtime/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mtedge::gateway {

namespace {

std::string errno_text(int err) {
  return std::string(std::strerror(err));
}

}  // namespace

Result<RunAs> look_up_run_as(const std::string& user, const std::string& group) {
  RunAs out{user, group};
  std::vector<char> buffer(16384);
  passwd pw{};
  passwd* found_user = nullptr;
  int err = ::getpwnam_r(user.c_str(), &pw, buffer.data(), buffer.size(), &found_user);
  if (err != 0) return Status::error("cannot look up user \"" + user + "\": " + errno_text(err));
  if (found_user == nullptr) return Status::error("no such user \"" + user + "\"");
  out.uid = pw.pw_uid;
  out.gid = pw.pw_gid;
  if (!group.empty()) {
    ::group gr{};
    ::group* found_group = nullptr;
    err = ::getgrnam_r(group.c_str(), &gr, buffer.data(), buffer.size(), &found_group);
    if (err != 0) {
      return Status::error("cannot look up group \"" + group + "\": " + errno_text(err));
    }
    if (found_group == nullptr) return Status::error("no such group \"" + group + "\"");
    out.gid = gr.gr_gid;
  }
  return out;
}

Status drop_privileges(const RunAs& run_as) {
  if (::getuid() == run_as.uid && ::geteuid() == run_as.uid && ::getgid() == run_as.gid &&
      ::getegid() == run_as.gid) {
    return Status::ok();
  }
  const std::string who = "user \"" + run_as.user + "\" (uid " + std::to_string(run_as.uid) +
                          ", gid " + std::to_string(run_as.gid) + ")";
  if (::geteuid() != 0) {
    return Status::error("cannot switch to " + who + ": only root can (running as uid " +
                         std::to_string(::geteuid()) + ")");
  }
  if (::initgroups(run_as.user.c_str(), run_as.gid) != 0) {
    return Status::error("initgroups for " + who + ": " + errno_text(errno));
  }
  if (::setgid(run_as.gid) != 0)
    return Status::error("setgid for " + who + ": " + errno_text(errno));
  if (::setuid(run_as.uid) != 0)
    return Status::error("setuid for " + who + ": " + errno_text(errno));
  if (run_as.uid != 0 && ::setuid(0) == 0) {
    return Status::error("switched to " + who + " but could regain root; refusing to run");
  }
  return Status::ok();
}

}  // namespace mtedge::gateway
