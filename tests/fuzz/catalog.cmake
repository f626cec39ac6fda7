# The catalog file (recorder/session/catalog.h) on hostile bytes: open() cuts
# what is not whole records, and what it keeps opens again unchanged.
if(TARGET discrec_session_base)
  discrec_add_fuzzer(catalog_fuzzer
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/catalog_fuzzer.cc
    LIBS discrec_session_base)
endif()
