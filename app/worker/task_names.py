"""Every Celery task name, spelled once. Tasks register under these names, Beat schedules
them and the web app publishes by them (it never imports a task module).

The names are the message contract with queued messages, running workers and Beat: they keep
the module paths the tasks first had, so never rename one (tests/tasks/test_celery_config.py
pins them).
"""

_ANALYSES = "app.tasks.data_processing"
_CLEANUP = "app.tasks.file_cleanup"
_MAINTENANCE = "app.tasks.maintenance"
_UPLOADS = "app.tasks.uploads"
_AUDIO = "app.tasks.audio_files"
_SAMPLES = "app.tasks.samples"

# Analyses (app/tasks/data_processing.py)
ANALYZE_SENSOR_DATA = f"{_ANALYSES}.analyze_sensor_data"
DETECT_ANOMALIES = f"{_ANALYSES}.detect_anomalies"
CALCULATE_SESSION_METRICS = f"{_ANALYSES}.calculate_session_metrics"
ANALYZE_SESSION = f"{_ANALYSES}.analyze_session"
GENERATE_STATISTICS = f"{_ANALYSES}.generate_statistics"
SWEEP_UNANALYSED_SESSIONS = f"{_ANALYSES}.sweep_unanalysed_sessions"

# Housekeeping (app/tasks/file_cleanup.py, app/tasks/maintenance.py)
CLEANUP_OLD_SENSOR_DATA = f"{_CLEANUP}.cleanup_old_sensor_data"
CLEANUP_OLD_SYNC_LOGS = f"{_CLEANUP}.cleanup_old_sync_logs"
CLEANUP_UPLOADED_FILES = f"{_CLEANUP}.cleanup_uploaded_files"
CLEANUP_FAILED_SESSIONS = f"{_CLEANUP}.cleanup_failed_sessions"
OPTIMIZE_DATABASE = f"{_CLEANUP}.optimize_database"
GENERATE_CLEANUP_REPORT = f"{_CLEANUP}.generate_cleanup_report"
PURGE_EXPIRED_REVOCATIONS = f"{_MAINTENANCE}.purge_expired_revocations"
PURGE_OLD_TOMBSTONES = f"{_MAINTENANCE}.purge_old_tombstones"

# Uploads (app/tasks/uploads.py)
IMPORT_UPLOAD = f"{_UPLOADS}.import_upload"
RESUME_STALLED_UPLOADS = f"{_UPLOADS}.resume_stalled_uploads"

# Audio recordings and resumable uploads (app/tasks/audio_files.py)
CLEANUP_OLD_AUDIO = f"{_AUDIO}.cleanup_old_audio"
CLEANUP_ORPHAN_AUDIO_FILES = f"{_AUDIO}.cleanup_orphan_audio_files"
EXPIRE_CHUNKED_UPLOADS = f"{_AUDIO}.expire_chunked_uploads"

# The sample store (app/tasks/samples.py)
COMPACT_SESSION = f"{_SAMPLES}.compact_session"
SWEEP_COMPACTION = f"{_SAMPLES}.sweep_compaction"
