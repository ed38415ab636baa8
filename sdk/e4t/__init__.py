"""e4t: typed Python client for the e4t personalization service."""

__version__ = "0.1.0"
