// Schema-driven TL parser (tl::parse) on arbitrary bytes: any boxed object of layer 144,
// a Config, and a Vector<long>; every successful parse must serialize back.
#include <cstdint>
#include <cstdlib>

#include "mtproto/tl/schema.h"
#include "mtproto/tl/schema_value.h"

using namespace mtedge;
using namespace mtedge::mtproto;

namespace {

// The embedded schemas, parsed once before the first input (in LLVMFuzzerInitialize, so that
// the parse is not charged to the first input's -timeout on a loaded machine).
const tl::Schema* schema_144 = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  static auto set = [] {
    auto s = tl::SchemaSet::load_embedded();
    if (!s) abort();
    return s.value();
  }();
  schema_144 = set->layer(144);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const tl::Schema& schema = *schema_144;
  for (const char* type : {"Object", "Config", "Vector<long>"}) {
    TlReader r(ByteView(data, size));
    auto v = tl::parse(schema, r, type);
    if (!v) continue;
    Bytes out;
    TlWriter w(out);
    if (!tl::serialize(schema, v.value(), type, w).is_ok()) abort();
  }
  return 0;
}
