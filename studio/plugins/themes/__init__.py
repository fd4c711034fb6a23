"""Built-in plugin: registers the themes in ``resources/themes/*.json`` (Cobalt, Amber, …)."""
