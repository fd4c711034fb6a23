"""Qt views of the Deploy plugin (thin: the work happens in the domain modules)."""
