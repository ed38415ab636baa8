"""gRPC servicers, authentication and error mapping."""
