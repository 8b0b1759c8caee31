"""The schedules ``allo dse`` tries on ``examples/dse_gemm.py::gemm``."""

SPACE = {
    "reorder": [None, ["k", "j"]],
    "split": {"j": [1, 2, 4]},
    "buffer_at": {"C": [None, "i"]},
    "pipeline": ["k", "j", "j.inner"],
    "partition": {"B": [None, ("cyclic", 2, 4)], "C": [None, ("cyclic", 2, 4)]},
}
