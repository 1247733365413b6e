"""Fast synth (``fast_synth.py``, ``enable()``) and the benchmark that measures it."""
