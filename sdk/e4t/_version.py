"""The SDK version, kept apart so that modules can import it without a cycle."""

__version__ = "0.1.0"
