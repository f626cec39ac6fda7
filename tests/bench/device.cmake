# Device benchmarks: WRITE(12) over iSCSI to tgt through the Drive vs the raw
# mmc_iscsi_probe (shared/mmc-target), both built here.
set(DISCREC_MMC_TARGET_DIR "${PROJECT_SOURCE_DIR}/../shared/mmc-target" CACHE PATH
    "shared/mmc-target: scripts that run tgt's MMC DVD+R emulation")
if(DISCREC_WITH_ISCSI AND EXISTS ${DISCREC_MMC_TARGET_DIR}/mmc_iscsi_probe.c
   AND DISCREC_BENCH AND NOT DISCREC_FUZZ AND NOT DISCREC_SANITIZE)
  # The reference: the harness's own C probe, built unmodified.
  add_executable(mmc_iscsi_probe_reference ${DISCREC_MMC_TARGET_DIR}/mmc_iscsi_probe.c)
  target_compile_options(mmc_iscsi_probe_reference PRIVATE -O2 -w)
  target_link_libraries(mmc_iscsi_probe_reference PRIVATE iscsi)

  discrec_add_bench(bench_iscsi_write
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_iscsi_write.cc
    LIBS discrec_device)
  target_compile_definitions(bench_iscsi_write PRIVATE
    DISCREC_MMC_TARGET_DIR="${DISCREC_MMC_TARGET_DIR}"
    DISCREC_TGT_FIXTURE="${PROJECT_SOURCE_DIR}/tests/integration/tgt/tgt_fixture.sh"
    DISCREC_BENCH_TGT_DIR="${PROJECT_BINARY_DIR}/tests/bench/iscsi-tgt"
    DISCREC_PROBE_BIN="$<TARGET_FILE:mmc_iscsi_probe_reference>")
  add_dependencies(bench_iscsi_write mmc_iscsi_probe_reference)
endif()
