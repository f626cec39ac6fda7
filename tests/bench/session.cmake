# recorder/session: heap per MB recorded for extent bookkeeping, the writer
# draining into the crash journal vs extents kept and mirrored (issue 17.4).
if(TARGET discrec_session)
  discrec_add_bench(bench_extent_memory
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_extent_memory.cc
    LIBS discrec_session)
endif()

# recorder/session: a live recording handed over between the drives of a
# pool (issue 20.6): lost GOPs, ring peak and the longest write gap across
# the switch, against the same stream on one drive in the same run.
if(TARGET discrec_session AND TARGET discrec_test_support)
  discrec_add_bench(bench_handover
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_handover.cc
    LIBS discrec_session discrec_test_support)
endif()
