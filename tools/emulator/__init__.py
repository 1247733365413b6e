"""The local AWS emulator: moto's server with our shim patches, and boto3 clients for it.

One module per concern (only ``shim`` and ``shim_patches`` import moto at the top, and
only the emulator's server process imports them):

- ``emulator``: the server subprocess (``Emulator``, ``EmulatorError``, ``port_is_free``);
- ``inventory``: boto3 clients for it (``client``), what it still holds, ``empty_bucket``;
- ``iam_eval``: IAM policy evaluation, and ``IAM_LOG_VARIABLE`` (where decisions go);
- ``iam_requests``: what IAM authorizes for one request;
- ``iam_state``: moto's IAM and KMS state, read for the request context;
- ``ecs_agent``: what a task's execution role must allow before the task starts;
- ``shim``, ``shim_patches``: the patches to moto, applied in the server process.
"""
