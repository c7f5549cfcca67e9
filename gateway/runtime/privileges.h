// Running as an unprivileged user after the listeners are bound (`gateway.user`,
// `gateway.group`): a process started as root binds ports below 1024, then gives root up
// before it opens or creates any file it writes (auth keys, the embedded backend's state), so
// those files belong to that user.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"

namespace mtedge::gateway {

struct RunAs {
  std::string user;   // as configured
  std::string group;  // as configured; "" = the user's primary group
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks `user` (and `group`, or the user's primary group) up in the system's user database.
// Errors say which name is unknown.
Result<RunAs> look_up_run_as(const std::string& user, const std::string& group);

// Switches the whole process (every thread) to `run_as`: the user's supplementary groups (as
// initgroups sets them: its groups in the group database plus run_as.gid), gid, then uid,
// and checks that root cannot be regained. Already running as that uid and gid: nothing to
// do. Not root and not already that user: an error (only root can switch).
Status drop_privileges(const RunAs& run_as);

}  // namespace mtedge::gateway
