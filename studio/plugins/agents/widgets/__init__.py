"""Qt views of the Agents workspace."""
