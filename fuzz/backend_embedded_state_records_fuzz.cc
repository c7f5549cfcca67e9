// Fuzzes state::decode, the parser of messenger state records (what a record log hands back on
// replay): any bytes either fail cleanly or decode to a record that encodes and decodes to
// itself and applies to a model without harm.
#include <cstddef>
#include <cstdint>

#include "backend-adapters/embedded/state/model.h"
#include "backend-adapters/embedded/state/records.h"

using namespace mtedge;
using namespace mtedge::backend::embedded;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto record = state::decode(ByteView(data, size));
  if (!record) return 0;
  auto again = state::decode(state::encode(record.value()));
  if (!again || !(again.value() == record.value())) __builtin_trap();
  // One model for many inputs (records meet earlier state), renewed now and then: a chat
  // message copies its text into every box it names, so the model would grow without end.
  static state::Model model;
  static unsigned applied = 0;
  if (++applied % 256 == 0) model = state::Model();
  model.apply(record.value());
  return 0;
}
