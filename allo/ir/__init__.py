"""Allo's IR: types, nodes, printer to MLIR text, walkers and the well-formedness verifier."""
