"""e4t registry: the tenant-scoped system of record and the blob store."""
