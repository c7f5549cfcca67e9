# The gateway's own parser of untrusted bytes: the admin endpoint's request line.
if(TARGET mtedge_gateway)
  mtedge_fuzz_target(admin_request
    SOURCES ${PROJECT_SOURCE_DIR}/fuzz/admin_request_fuzz.cc
    DEPS mtedge_gateway)
endif()
# A connection's whole inbound path: detector -> obfuscated2 / fake-TLS accept -> framer.
if(TARGET mtedge_gateway)
  mtedge_fuzz_target(transport_stack
    SOURCES ${PROJECT_SOURCE_DIR}/fuzz/transport_stack_fuzz.cc
    DEPS mtedge_gateway)
endif()
