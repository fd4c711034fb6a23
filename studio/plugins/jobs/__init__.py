"""Built-in plugin: the Jobs view (running and finished background jobs) and job commands."""
