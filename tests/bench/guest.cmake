# discrec vs cdrskin, growisofs and the raw WRITE(12) probe in one QEMU guest
# boot over real SG_IO (tests/integration/tgt's guest chain): a script, run
# by ./bench.sh as build/tests/bench/bench_guest_record.
if(TARGET guest_recorder AND DISCREC_BENCH AND NOT DISCREC_FUZZ AND NOT DISCREC_SANITIZE)
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/tests/bench/bench_guest_record
    CONTENT "#!/bin/sh\nMMC_TARGET='${DISCREC_MMC_TARGET_DIR}' exec '${CMAKE_CURRENT_LIST_DIR}/bench_guest_record.sh' \
'${PROJECT_BINARY_DIR}/tests/bench/guest-record' '$<TARGET_FILE:guest_recorder>' \"$@\"\n"
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endif()
