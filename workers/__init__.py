"""Process entry points: the worker, the local stack, the CLI. Wires the other layers."""
