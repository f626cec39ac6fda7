# recorder/udf: adding a recording to a rewritable disc's volume holding 1,
# 100 and 1,000 recordings (issue 21.5): the update's drive time and bytes
# against writing the recording's last ECC unit on the same emulated drive.
if(TARGET discrec_udf AND TARGET discrec_sim)
  discrec_add_bench(bench_volume_update
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_volume_update.cc
    LIBS discrec_udf discrec_sim)
endif()
