"""Parse and verify MLIR text with upstream MLIR (the IREE-packaged Python bindings)."""

from iree.compiler import ir


def upstream_verify(text: str) -> "ir.Module":
    """Parse ``text`` with upstream MLIR and run its verifier; raise with the text on failure."""
    ctx = ir.Context()
    try:
        module = ir.Module.parse(text, ctx)
        assert module.operation.verify()
    except Exception as e:  # attach the text, so a failure shows what was printed
        raise AssertionError(f"upstream MLIR rejected the text: {e}\n{text}") from e
    return module


def op_names(module: "ir.Module") -> list:
    """Names of every operation in a parsed module, in walk order."""
    names = []

    def visit(op):
        names.append(op.name)
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    visit(inner.operation)

    visit(module.operation)
    return names
