# The emulated drive: a 1 GiB streaming write in simulated time vs a plain
# pwrite loop of the same size into a file, same run.
if(TARGET discrec_sim)
  discrec_add_bench(bench_sim_write
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_sim_write.cc
    LIBS discrec_sim)
endif()
