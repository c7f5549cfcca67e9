# The gateway's own parser of untrusted bytes: the admin endpoint's request line.
if(TARGET mtedge_gateway)
  mtedge_fuzz_target(admin_request
    SOURCES ${PROJECT_SOURCE_DIR}/fuzz/admin_request_fuzz.cc
    DEPS mtedge_gateway)
endif()
