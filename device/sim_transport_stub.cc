// placeholder so discrec_device has a source until the commands land
