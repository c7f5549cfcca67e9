# MTProto crypto layer: the TL primitive reader and the encrypted-message decrypt stage.
if(TARGET mtedge_mtproto)
  mtedge_fuzz_target(tl_reader SOURCES ${PROJECT_SOURCE_DIR}/fuzz/tl_reader_fuzz.cc
    DEPS mtedge_mtproto)
  mtedge_fuzz_target(decrypt SOURCES ${PROJECT_SOURCE_DIR}/fuzz/decrypt_fuzz.cc
    DEPS mtedge_mtproto)
endif()
