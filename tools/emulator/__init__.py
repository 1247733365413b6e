"""The local AWS emulator: moto's server with our shim patches, and boto3 clients for it.

Only ``shim`` and ``shim_patches`` import moto at the top, and only the emulator's server
process imports them.
"""
