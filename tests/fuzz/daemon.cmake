# The daemon's own parsers: the TOML config reader and resource names. Built
# from sources so the fuzz build needs no gRPC.
discrec_add_fuzzer(config_fuzzer
  SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/config_fuzzer.cc ${PROJECT_SOURCE_DIR}/daemon/config.cc
          ${PROJECT_SOURCE_DIR}/daemon/names.cc ${PROJECT_SOURCE_DIR}/daemon/role.cc
          ${PROJECT_SOURCE_DIR}/recorder/ingest/source_policy.cc ${PROJECT_SOURCE_DIR}/recorder/ingest/open_file_linux.cc
          ${PROJECT_SOURCE_DIR}/recorder/core/write_mode.cc
  LIBS discrec_sim discrec_device discrec_base)
