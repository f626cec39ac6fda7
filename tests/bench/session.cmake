# recorder/session: heap per MB recorded for extent bookkeeping, the writer
# draining into the crash journal vs extents kept and mirrored (issue 17.4).
if(TARGET discrec_session)
  discrec_add_bench(bench_extent_memory
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_extent_memory.cc
    LIBS discrec_session)
endif()
