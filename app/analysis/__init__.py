"""Pure pandas/numpy analysis of sensor samples (no Flask or database dependencies)."""
