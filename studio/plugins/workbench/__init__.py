"""Built-in plugin: the studio's own commands, settings and the Messages view."""
