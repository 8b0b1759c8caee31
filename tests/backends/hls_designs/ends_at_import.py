"""CLI fixture: the file ends its process while it is imported."""
import os

os._exit(0)
