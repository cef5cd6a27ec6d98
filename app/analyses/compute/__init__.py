"""Pure pandas/numpy analysis of sensor samples: no Flask, no database."""
