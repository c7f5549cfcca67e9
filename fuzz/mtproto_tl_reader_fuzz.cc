// Fuzzes TlReader: the first bytes of the input choose a sequence of reads, the rest is the TL
// data they run over. Checks that no read goes past the input and that failures are sticky.
#include <cstdint>
#include <cstdlib>

#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

using mtedge::mtproto::TlReader;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// A view returned by the reader must lie inside the input.
void check_inside(mtedge::ByteView view, const uint8_t* begin, size_t size) {
  if (view.empty()) return;
  check(view.data() >= begin && view.data() + view.size() <= begin + size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t ops = data[0] % 32;
  if (size < 1 + ops) return 0;
  const uint8_t* program = data + 1;
  const uint8_t* tl = data + 1 + ops;
  const size_t tl_size = size - 1 - ops;

  TlReader r(mtedge::ByteView(tl, tl_size));
  bool failed = false;
  for (size_t i = 0; i < ops; ++i) {
    const size_t before = r.position();
    switch (program[i] % 14) {
      case 0: (void)r.read_int32(); break;
      case 1: (void)r.read_int64(); break;
      case 2: (void)r.read_double(); break;
      case 3: (void)r.read_int128(); break;
      case 4: (void)r.read_int256(); break;
      case 5: {
        auto b = r.read_bytes();
        check_inside(b, tl, tl_size);
        if (r.ok()) check(r.position() - before >= mtedge::mtproto::tl_bytes_size(b.size()));
        break;
      }
      case 6: check_inside(mtedge::as_bytes(r.read_string()), tl, tl_size); break;
      case 7: (void)r.read_bool(); break;
      case 8: {
        uint32_t n = r.read_vector_header(program[i] >> 4);
        if (r.ok()) check(n <= r.remaining());
        for (uint32_t k = 0; k < n && r.ok(); ++k) (void)r.read_int32();
        break;
      }
      case 9: {
        uint32_t n = r.read_bare_vector_count(8);
        if (r.ok()) check(size_t{n} * 8 <= r.remaining());
        for (uint32_t k = 0; k < n && r.ok(); ++k) check_inside(r.read_bytes(), tl, tl_size);
        break;
      }
      case 10: check_inside(r.read_raw(program[i] >> 4), tl, tl_size); break;
      case 11: r.skip(program[i] >> 3); break;
      case 12: (void)r.expect(0x1cb5c415); break;
      default: check_inside(r.rest(), tl, tl_size); break;
    }
    check(r.position() <= tl_size);
    if (failed) check(r.position() == before && !r.ok());
    failed = !r.ok();
  }
  return 0;
}
