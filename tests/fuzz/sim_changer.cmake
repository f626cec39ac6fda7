# The emulated changer and its drives must never crash, lose or duplicate a
# disc, whatever CDBs, moves, operator actions and reopens they are fed.
discrec_add_fuzzer(sim_changer_fuzzer
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sim_changer_fuzzer.cc
  LIBS discrec_sim)
