# Daemon and journal benchmarks (issues 8 and 9).
# bench_journal: crash-journal overhead at BD 12x vs the recording's own time
# and vs a plain write+fdatasync of the same bytes, same run.
if(TARGET discrec_session AND TARGET discrec_journal)
  discrec_add_bench(bench_journal
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_journal.cc
    LIBS discrec_session discrec_journal)
  if(TARGET bench_journal)
    target_compile_definitions(bench_journal PRIVATE DISCREC_BENCH_DIR="${PROJECT_BINARY_DIR}/tests/bench")
  endif()
endif()

# bench_daemon_e2e: a 256 MiB file recorded through the real discrecd + CLI onto
# an emulated drive (timing off) vs `ffmpeg -c copy -f mpegts` to a file.
# bench_daemon_idle: discrecd's CPU and peak RSS while 8 UDP recordings run,
# vs the 8 ffmpeg senders' own CPU.
# bench_start_storm (issue 17): 64 live UDP recordings on 16 emulated BD-R
# drives started in one burst vs one by one: missed deadlines, time until
# all are recording.
# bench_list_drives_busy (issue 18): ListDrives latency while 16 emulated
# drives are busy formatting or verifying vs GetDaemonInfo, same run.
if(DISCREC_WITH_DAEMON AND TARGET discrecd AND TARGET discrec)
  foreach(_b bench_daemon_e2e bench_daemon_idle bench_start_storm bench_list_drives_busy)
    discrec_add_bench(${_b}
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/${_b}.cc
      LIBS discrec_proto discrec_test_support)
    if(TARGET ${_b})
      target_compile_definitions(${_b} PRIVATE DISCREC_BUILD_DIR="${PROJECT_BINARY_DIR}")
      add_dependencies(${_b} discrecd discrec)
    endif()
  endforeach()
endif()

# bench_disc_4_streams (issue 17): 4 live UDP streams recorded by a real
# discrecd onto an emulated BD-R, finalized and verified: verify time vs a
# sequential READ(12) of the same bytes, and extents per file with striping
# vs without (a second daemon, stripe_size = "0"), same run.
if(DISCREC_WITH_DAEMON AND TARGET discrecd AND TARGET discrec_udf)
  discrec_add_bench(bench_disc_4_streams
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_disc_4_streams.cc
    LIBS discrec_proto discrec_test_support discrec_udf discrec_device)
  if(TARGET bench_disc_4_streams)
    target_compile_definitions(bench_disc_4_streams PRIVATE DISCREC_BUILD_DIR="${PROJECT_BINARY_DIR}")
    add_dependencies(bench_disc_4_streams discrecd)
  endif()
endif()
