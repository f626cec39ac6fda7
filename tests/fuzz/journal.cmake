# The crash-journal replay on hostile bytes: arbitrary input, and a valid
# journal edited by the fuzz input. Needs only discrec_journal (no FFmpeg/gRPC).
if(TARGET discrec_journal)
  discrec_add_fuzzer(journal_fuzzer
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/journal_fuzzer.cc
    LIBS discrec_journal)
endif()
