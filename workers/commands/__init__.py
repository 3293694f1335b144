"""The `cancelflow` command groups, one module each; workers/cli.py registers them."""
