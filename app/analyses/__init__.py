"""Session analyses, per-user statistics and task status: the service behind /api/sessions/…/
analysis, /api/tasks and /api/stats, and the bodies of the analysis tasks."""
