"""Pure domain models and rules of cancelflow: no I/O, no Temporal."""
