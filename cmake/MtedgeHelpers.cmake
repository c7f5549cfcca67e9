# Shared build helpers: warnings, sanitizers, component libraries, tests and fuzz targets.

set(MTEDGE_WARNINGS -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)
if(MTEDGE_WERROR)
  list(APPEND MTEDGE_WARNINGS -Werror)
endif()

if(MTEDGE_SANITIZE OR MTEDGE_FUZZ)
  set(MTEDGE_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
  add_compile_options(${MTEDGE_SAN_FLAGS})
  add_link_options(${MTEDGE_SAN_FLAGS})
endif()
if(MTEDGE_FUZZ)
  # Instrument everything for coverage; only fuzz binaries link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# mtedge_component(NAME SOURCES ... [DEPS ...]): a static library for one folder.
function(mtedge_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${MTEDGE_WARNINGS})
  if(ARG_DEPS)
    target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  endif()
endfunction()

# mtedge_unit_test(NAME SOURCES ... [DEPS ...]): a GoogleTest binary registered with ctest.
function(mtedge_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${MTEDGE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    MTEDGE_VECTORS_DIR="${PROJECT_SOURCE_DIR}/tests/vectors")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
endfunction()

# mtedge_fuzz_target(NAME SOURCES ... [DEPS ...]):
#   fuzz/<NAME>_fuzz.cc defines LLVMFuzzerTestOneInput; its corpus is fuzz/corpus/<NAME>/.
#   In fuzz builds it is a libFuzzer binary; otherwise it links a replay main. Either way
#   ctest replays the corpus (label "fuzz-replay").
function(mtedge_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(target fuzz_${name})
  set(corpus ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
  if(MTEDGE_FUZZ)
    add_executable(${target} ${ARG_SOURCES})
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    # A corpus input slower than 30 s under ASan, or above 2 GiB, fails the replay.
    add_test(NAME fuzz_replay_${name} COMMAND ${target} -runs=0 -timeout=30 -rss_limit_mb=2048
      ${corpus})
  else()
    add_executable(${target} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
    add_test(NAME fuzz_replay_${name} COMMAND ${target} ${corpus})
  endif()
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE ${MTEDGE_WARNINGS})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS})
  set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS fuzz-replay)
  set_property(GLOBAL APPEND PROPERTY MTEDGE_FUZZ_TARGETS ${name})
endfunction()
