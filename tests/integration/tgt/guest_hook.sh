#!/bin/sh
# Runs in the QEMU guest as `guest_extra.sh /dev/sg0` (TESTS=extra).
sgio_guest_check /dev/sg0 /dev/sr0 ${DISCREC_SGIO_MIB:-64}
echo "DISCREC_SGIO: exit $?"
