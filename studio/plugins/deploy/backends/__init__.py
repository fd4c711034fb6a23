"""Deployment backends shipped with the Deploy plugin (each Qt-free)."""
