"""Fast synth (the provider loader, node's source-map hook) and the benchmark that measures it."""
