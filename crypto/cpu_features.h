// The CPU features the crypto code dispatches on. Each is read from cpuid once per process
// (the first call) and cached; every AES-NI, VAES and SHA-NI code path checks here and nowhere
// else. All are false on non-x86 builds, which have only the OpenSSL EVP paths.
#pragma once

namespace mtedge::crypto {

// AES-NI and SSE4.1: AES-CTR and AES-IGE run on the in-tree AES-NI code.
bool cpu_has_aes_ni();
// AES-NI plus VAES and AVX2, with the YMM state enabled by the OS: AES-CTR runs bulk data in
// 16-block ymm batches.
bool cpu_has_vaes();
// SHA-NI with SSSE3 and SSE4.1: SHA-256 runs on the in-tree SHA-NI code.
bool cpu_has_sha_ni();

}  // namespace mtedge::crypto
