# HTTP transport codec and WebSocket framing (codecs/http, codecs/websocket).
mtedge_fuzz_target(http SOURCES ${PROJECT_SOURCE_DIR}/fuzz/http_fuzz.cc DEPS mtedge_codec_http)
mtedge_fuzz_target(websocket SOURCES ${PROJECT_SOURCE_DIR}/fuzz/websocket_fuzz.cc
  DEPS mtedge_codec_websocket)
