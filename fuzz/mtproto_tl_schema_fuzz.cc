// Schema-driven TL parser (tl::parse) on arbitrary bytes: any boxed object of layer 144,
// a Config, and a Vector<long>; every successful parse must serialize back.
#include <cstdint>
#include <cstdlib>

#include "mtproto/tl/schema.h"
#include "mtproto/tl/schema_value.h"

using namespace mtedge;
using namespace mtedge::mtproto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto set = [] {
    auto s = tl::SchemaSet::load_embedded();
    if (!s) abort();
    return s.value();
  }();
  const tl::Schema& schema = *set->layer(144);
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
