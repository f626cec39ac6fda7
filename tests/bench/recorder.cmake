# recorder/core: ring throughput vs memcpy; scheduler cost per chunk vs a
# plain std::priority_queue push/pop; rings started from the pool vs mapped
# and locked one by one; each against its reference in the same run.
if(TARGET discrec_recorder)
  discrec_add_bench(bench_ring
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_ring.cc
    LIBS discrec_recorder)
  discrec_add_bench(bench_scheduler
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_scheduler.cc
    LIBS discrec_recorder)
  discrec_add_bench(bench_ring_start
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_ring_start.cc
    LIBS discrec_recorder)
endif()
if(TARGET discrec_recorder AND EXISTS /usr/include/valgrind/callgrind.h)
  discrec_add_bench(bench_scheduler_callgrind
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_scheduler_callgrind.cc
    LIBS discrec_recorder)
endif()
