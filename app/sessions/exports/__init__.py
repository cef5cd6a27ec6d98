"""Session exports as CSV, NDJSON or Parquet, over HTTP and from the CLI."""
