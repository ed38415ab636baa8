"""Generated gRPC stubs of the e4t.v1 API. Do not edit: run scripts/gen_protos.py."""
