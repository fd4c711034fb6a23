"""Qt views of the Training plugin (thin: the data comes from the Qt-free modules)."""
