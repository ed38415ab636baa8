"""Ray Serve application: one deployment per tenant domain model."""
