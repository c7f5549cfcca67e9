// `mtedge secret` and `mtedge links`: new MTProxy secrets, and the tg:// and t.me links that
// hand a listener's secrets to clients (docs/operations.md "Secrets and links").
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "gateway/runtime/config.h"

namespace mtedge::gateway {

// A new secret in hex: `kind` "plain" (16 random bytes), "dd" (dd + 16) or "ee" (ee + 16 +
// `domain` in hex; the domain a fake-TLS client names, 1..182 printable ASCII bytes).
// `random` fills its argument (crypto::random_bytes in the binary).
Result<std::string> new_secret(std::string_view kind, std::string_view domain,
                               const std::function<void(MutableByteView)>& random);

// One block per listener that has secrets: a header line, then for each secret its label, the
// tg://proxy link and the https://t.me/proxy link (server = `host`, else the listener's own
// address when it is not a wildcard; port = the listener's). Fails naming the listener when
// it listens on a wildcard address and no host is given, or when no listener has a secret.
Result<std::string> proxy_links(const Config& config, std::string_view host);

}  // namespace mtedge::gateway
