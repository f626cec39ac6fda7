# Ingest's own byte handling, without FFmpeg (the fuzz build has none): the
# GOP marker that scans muxer output and parses PES headers, and the timeline
# fed with arbitrary timestamps. Built from sources.
discrec_add_fuzzer(ingest_ts_fuzzer
  SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/ingest_ts_fuzzer.cc
          ${PROJECT_SOURCE_DIR}/recorder/ingest/gop_marker.cc
          ${PROJECT_SOURCE_DIR}/recorder/ingest/timeline.cc
  LIBS discrec_base)
