# The socket adapter's backend protocol decoder: delimited framing + mtedge.v1 checks.
if(TARGET mtedge_backend_socket_core)
  mtedge_fuzz_target(backend_protocol
    SOURCES ${PROJECT_SOURCE_DIR}/fuzz/backend_protocol_fuzz.cc
    DEPS mtedge_backend_socket_core)
endif()
