"""The shared domain of recording sessions and their samples."""
