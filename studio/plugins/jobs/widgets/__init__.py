"""Widgets of the Jobs plugin (imported lazily, when the view is first shown)."""
