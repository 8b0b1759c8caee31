"""Code generators: LLVM JIT, HLS C++, MLIR."""
