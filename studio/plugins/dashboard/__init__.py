"""Built-in plugin: the Dashboard view, its card grid, and the first-run welcome page."""
