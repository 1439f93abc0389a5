"""Pure, vectorised physics: numpy arrays in, numpy arrays out, SI units, no state, no I/O."""
