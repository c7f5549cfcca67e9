// The .tl files of mtproto/schema/, embedded into the binary at build time (CMake reads them
// into a generated schema_embedded.cc), so the gateway needs no schema directory at run time.
#pragma once

#include <span>
#include <string_view>

namespace mtedge::mtproto::tl {

struct EmbeddedSchemaFile {
  std::string_view name;  // "mtproto.tl", "api-layer144.tl", ...
  std::string_view text;
};

std::span<const EmbeddedSchemaFile> embedded_schema_files();

}  // namespace mtedge::mtproto::tl
