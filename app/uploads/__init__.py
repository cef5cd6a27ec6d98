"""File import for long offline recordings: POST /api/uploads, imported by a background task."""
