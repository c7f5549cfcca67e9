# The embedded backend's session layer, fed arbitrary decrypted messages.
if(TARGET mtedge_backend_embedded)
  mtedge_fuzz_target(embedded_session
    SOURCES ${PROJECT_SOURCE_DIR}/fuzz/embedded_session_fuzz.cc
    DEPS mtedge_backend_embedded)
endif()
