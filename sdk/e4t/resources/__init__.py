"""One module per API resource: shared call builders, then a sync and an async class."""
