# Ingest throughput: remux of a cached 1080p H.264 TS (>= 256 MiB) into a
# draining TsSink vs `ffmpeg -c copy -f mpegts /dev/null`, same run.
if(DISCREC_WITH_FFMPEG AND TARGET discrec_ingest)
  discrec_add_bench(bench_ingest
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_ingest.cc
    LIBS discrec_ingest)
endif()
