"""Qt views of the Models plugin: thin layers over the Qt-free domain modules."""
