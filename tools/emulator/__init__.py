"""The local AWS emulator: moto's server with our shim patches, and boto3 clients for it."""
