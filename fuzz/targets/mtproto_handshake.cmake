# DH handshake state machine, unencrypted-message parser, schema-driven TL parser.
mtedge_fuzz_target(mtproto_handshake
  SOURCES ${PROJECT_SOURCE_DIR}/fuzz/mtproto_handshake_fuzz.cc
  DEPS mtedge_mtproto)
target_compile_definitions(fuzz_mtproto_handshake PRIVATE
  MTEDGE_VECTORS_DIR="${PROJECT_SOURCE_DIR}/tests/vectors")
mtedge_fuzz_target(mtproto_unencrypted
  SOURCES ${PROJECT_SOURCE_DIR}/fuzz/mtproto_unencrypted_fuzz.cc
  DEPS mtedge_mtproto)
mtedge_fuzz_target(mtproto_tl_schema
  SOURCES ${PROJECT_SOURCE_DIR}/fuzz/mtproto_tl_schema_fuzz.cc
  DEPS mtedge_mtproto)
