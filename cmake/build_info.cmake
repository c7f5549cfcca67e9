# Writes OUT (a header with MTEDGE_COMMIT and MTEDGE_BUILD_TYPE) from `git describe` in SRC;
# rewritten only when its text changes, so an unchanged commit rebuilds nothing.
# Run at every build: cmake -DSRC=... -DOUT=... -DBUILD_TYPE=... -P build_info.cmake
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
if(BUILD_TYPE STREQUAL "")
  set(BUILD_TYPE "unspecified")
endif()
set(text "// Generated at build time by cmake/build_info.cmake.\n#pragma once\n#define MTEDGE_COMMIT \"${commit}\"\n#define MTEDGE_BUILD_TYPE \"${BUILD_TYPE}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
