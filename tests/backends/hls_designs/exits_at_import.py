"""CLI fixture: the file exits 0 while it is imported."""
import sys

sys.exit(0)


def design_never_reached():
    return None
