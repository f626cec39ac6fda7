# libFuzzer targets for every device/mmc parser: one binary per parser.
set(_device_fuzz_parsers
  sense inquiry configuration write_speed performance disc_information
  track_information buffer_capacity read_capacity format_capacities
  event_status mode_page_05)
set(_index 0)
foreach(_parser IN LISTS _device_fuzz_parsers)
  discrec_add_fuzzer(device_fuzz_${_parser}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_parse_fuzzer.cc
    LIBS discrec_mmc)
  if(TARGET device_fuzz_${_parser})
    target_compile_definitions(device_fuzz_${_parser} PRIVATE DISCREC_FUZZ_PARSER=${_index})
  endif()
  math(EXPR _index "${_index} + 1")
endforeach()

# The drive quirks file (a config-like text the daemon reads at start).
discrec_add_fuzzer(device_fuzz_drive_quirks
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/drive_quirks_fuzzer.cc ${PROJECT_SOURCE_DIR}/device/drive_quirks.cc
  LIBS discrec_base)

# The device/smc (medium changer) parsers, one binary each.
set(_smc_fuzz_parsers element_status element_address_assignment)
set(_index 0)
foreach(_parser IN LISTS _smc_fuzz_parsers)
  discrec_add_fuzzer(device_fuzz_smc_${_parser}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/smc_parse_fuzzer.cc
    LIBS discrec_smc)
  if(TARGET device_fuzz_smc_${_parser})
    target_compile_definitions(device_fuzz_smc_${_parser} PRIVATE DISCREC_FUZZ_SMC_PARSER=${_index})
  endif()
  math(EXPR _index "${_index} + 1")
endforeach()
