"""The MLIR backend: helpers of the MLIR text printer (:mod:`allo.ir.printer`) and the
importer from upstream affine MLIR back into Allo's IR (:mod:`.importer`)."""
