// spdlog setup from [log]. Log lines carry ids, addresses, sizes and error names; never
// payload bytes, keys or secrets.
#pragma once

#include "gateway/runtime/config.h"

namespace mtedge::gateway {

// Installs the process-wide logger on stderr: `text` is "<UTC time> <level> <message>",
// `json` one object per line {"time","level","thread","msg"}.
void setup_logging(const LogConfig& config);

}  // namespace mtedge::gateway
