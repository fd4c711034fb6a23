"""``hafs-studio`` subcommands: the headless face of the same domain code the panels use."""
