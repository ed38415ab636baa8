"""The e4t command line."""
