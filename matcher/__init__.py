"""Resource matching and non-displacement capacity engine for LEAD-style case management."""

__version__ = "0.1.0"
