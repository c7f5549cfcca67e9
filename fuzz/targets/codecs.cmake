# Plain TCP transport framers and the transport detector.
foreach(name abridged intermediate padded full detector)
  mtedge_fuzz_target(${name}
    SOURCES ${PROJECT_SOURCE_DIR}/fuzz/${name}_fuzz.cc
    DEPS mtedge_codec_detector)
endforeach()
