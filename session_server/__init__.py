"""Live hybrid-dialogue session manager."""

__version__ = "0.1.0"
