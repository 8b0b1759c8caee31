"""``python -m proofs [RULE]``: check every theorem (or one) and print a table.

Exit status: 0 when every theorem is proved (or definitional), 1 when one fails, 2 when
RULE names no theorem.
"""

import sys

from .core import THEOREMS, check_all, known_rules


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only = argv[0] if argv else None
    results = check_all(only)
    if only is not None and not results:
        print(f"no theorem for rule {only!r}; rules: {', '.join(known_rules())}", file=sys.stderr)
        return 2
    width = max((len(r.rule) for r in results), default=4)
    print(f"{'rule':<{width}}  {'result':<12}  time(s)  statement")
    for r in results:
        print(f"{r.rule:<{width}}  {r.status:<12}  {r.seconds:7.3f}  {r.statement}")
        widths = THEOREMS[r.rule].index_widths if r.rule in THEOREMS else ""
        if widths:
            print(f"{'':<{width}}  index widths: {widths}")
        if not r.ok:
            print(f"{'':<{width}}  {r.detail}")
    failed = sum(not r.ok for r in results)
    defined = sum(r.status == "definitional" for r in results)
    print(f"{len(results) - failed - defined} proved, {defined} definitional, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
