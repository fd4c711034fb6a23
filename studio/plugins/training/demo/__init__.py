"""The demo trainer (``hafs-studio demo train``): a real NumPy training run to watch."""
