// mtedge-load's output: a few human-readable lines, and the same figures as JSON.
#pragma once

#include <string>

#include "bench/load/options.h"
#include "bench/load/runner.h"

namespace mtedge::bench {

std::string format_text(const LoadOptions& options, const LoadResult& result);
std::string format_json(const LoadOptions& options, const LoadResult& result);

}  // namespace mtedge::bench
