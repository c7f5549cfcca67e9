#include "codecs/core/codec_error.h"

#include <array>

namespace mtedge::codecs {

const ErrorInfo& error_info(CodecError error) {
  static const std::array<ErrorInfo, kCodecErrorCount> table = {{
#define MTEDGE_CODEC_ERROR_INFO(name, text, action, code) {text, ErrorAction::action, code},
      MTEDGE_CODEC_ERRORS(MTEDGE_CODEC_ERROR_INFO)
#undef MTEDGE_CODEC_ERROR_INFO
  }};
  return table[static_cast<size_t>(error)];
}

}  // namespace mtedge::codecs
