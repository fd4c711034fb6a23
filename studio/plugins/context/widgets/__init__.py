"""The Context plugin's Qt views (imported only by view factories and the presenter)."""
