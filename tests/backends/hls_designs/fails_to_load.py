"""CLI fixture: a file that raises while loading."""
raise RuntimeError("this design file is broken on purpose")
