# The source policy on hostile URLs: what a client may make the daemon open,
# connect to or show. Pure C++ (no FFmpeg), built from sources.
discrec_add_fuzzer(source_policy_fuzzer
  SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/source_policy_fuzzer.cc
          ${PROJECT_SOURCE_DIR}/recorder/ingest/source_policy.cc
          ${PROJECT_SOURCE_DIR}/recorder/ingest/open_file_linux.cc
  LIBS discrec_base)
