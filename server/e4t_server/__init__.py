"""e4t server: the E4T engine, the Ray Serve application and the gRPC API."""
