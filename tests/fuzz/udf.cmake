# The UDF reader on hostile volumes: a valid image edited by the fuzz input.
discrec_add_fuzzer(udf_fuzz_volume_reader
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/udf_volume_reader_fuzz.cc
  LIBS discrec_udf)

# The builder: any spec is either refused or read back identical.
discrec_add_fuzzer(udf_fuzz_build_round_trip
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/udf_build_round_trip_fuzz.cc
  LIBS discrec_udf)

# Client-named titles and labels: always a valid, unique file name; an
# accepted label is always buildable.
discrec_add_fuzzer(udf_fuzz_client_names
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/udf_client_names_fuzz.cc
  LIBS discrec_udf)

# The updater on volumes it did not make: a planned update never overwrites
# what the live volume uses, and always leaves a volume that reads back.
discrec_add_fuzzer(udf_fuzz_volume_update
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/udf_volume_update_fuzz.cc
  LIBS discrec_udf)
