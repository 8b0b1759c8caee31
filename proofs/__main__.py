"""``python -m proofs``: check every theorem and print a table; exit 1 if one fails."""

import sys

from .core import check_all


def main() -> int:
    results = check_all(sys.argv[1] if len(sys.argv) > 1 else None)
    width = max((len(r.rule) for r in results), default=4)
    print(f"{'rule':<{width}}  result  time(s)  statement")
    for r in results:
        status = "proved" if r.ok else "FAILED"
        print(f"{r.rule:<{width}}  {status:<6}  {r.seconds:7.3f}  {r.statement}")
        if not r.ok:
            print(f"{'':<{width}}  {r.detail}")
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} proved, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
