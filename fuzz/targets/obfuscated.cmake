# obfuscated2 init, fake-TLS ClientHello, fake-TLS record stage (codecs/obfuscated).
mtedge_fuzz_target(obfuscated_init
  SOURCES ${PROJECT_SOURCE_DIR}/fuzz/obfuscated_init_fuzz.cc
  DEPS mtedge_codec_obfuscated)
mtedge_fuzz_target(client_hello
  SOURCES ${PROJECT_SOURCE_DIR}/fuzz/client_hello_fuzz.cc
  DEPS mtedge_codec_obfuscated)
mtedge_fuzz_target(tls_record
  SOURCES ${PROJECT_SOURCE_DIR}/fuzz/tls_record_fuzz.cc
  DEPS mtedge_codec_obfuscated)
