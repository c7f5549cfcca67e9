# Writes OUT (a header with MTEDGE_COMMIT and MTEDGE_BUILD_TYPE) for the checkout in SRC;
# rewritten only when its text changes, so an unchanged commit rebuilds nothing.
# Run at every build: cmake -DSRC=... -DOUT=... -DBUILD_TYPE=... [-DCOMMIT=...] -P build_info.cmake
# COMMIT (from -DMTEDGE_COMMIT at configure time) names the commit of a tree without .git.
set(commit "${COMMIT}")
if(commit STREQUAL "")
  set(commit "unknown")
  # Only SRC's own repository counts: a tarball unpacked inside another checkout is not it.
  execute_process(COMMAND git -C "${SRC}" rev-parse --show-toplevel
                  OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0)
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SRC}" src)
  endif()
  if(rc EQUAL 0 AND top STREQUAL src)
    execute_process(COMMAND git -C "${SRC}" rev-parse --short=12 HEAD
                    OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0 AND NOT head STREQUAL "")
      set(commit "${head}")
      execute_process(COMMAND git -C "${SRC}" diff-index --quiet HEAD --
                      RESULT_VARIABLE dirty OUTPUT_QUIET ERROR_QUIET)
      if(NOT dirty EQUAL 0)
        set(commit "${commit}-dirty")
      endif()
    endif()
  endif()
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
