"""crowdveil: find every face in a photo, destroy it, write a file that carries only pixels."""

import os

# onnxruntime, merely imported, records a device id and queues usage events for Microsoft, and
# looks up its collector's address, on Linux too; only this variable, set before the import,
# stops all of it. It lives here so that every entry point (CLI, GUI, workers, library use)
# is covered before any detector module can import onnxruntime.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

__version__ = "0.1.0"
