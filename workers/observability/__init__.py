"""Operating the processes: health and readiness, metrics, tracing, the SDK core's logs and
the checks a process makes before it starts."""
