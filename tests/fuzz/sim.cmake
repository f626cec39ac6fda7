# The emulated drive must never crash, whatever CDBs, data, faults and
# media events it is fed.
discrec_add_fuzzer(sim_drive_fuzzer
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sim_drive_fuzzer.cc
  LIBS discrec_sim)
