"""Qt views of the Logs plugin (imported only when a Logs view is shown)."""
