"""The Beat schedule (UTC). Exactly one `celery beat` may run, or every entry runs twice.

`expires` drops a periodic task that waited longer than its own period (a worker was down),
so a backlog of identical housekeeping runs never piles up.
"""

from __future__ import annotations

from celery.schedules import crontab

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY

_CLEANUP = "app.tasks.file_cleanup"
_AUDIO = "app.tasks.audio_files"

BEAT_SCHEDULE: dict[str, dict] = {
    "cleanup-old-sensor-data": {
        "task": f"{_CLEANUP}.cleanup_old_sensor_data",
        "schedule": crontab(hour=3, minute=0),
        "args": (30,),
        "options": {"expires": DAY},
    },
    "cleanup-old-sync-logs": {
        "task": f"{_CLEANUP}.cleanup_old_sync_logs",
        "schedule": crontab(hour=3, minute=30, day_of_week="sunday"),
        "args": (90,),
        "options": {"expires": WEEK},
    },
    "cleanup-failed-sessions": {
        "task": f"{_CLEANUP}.cleanup_failed_sessions",
        "schedule": crontab(hour=2, minute=0),
        "args": (24,),
        "options": {"expires": DAY},
    },
    "cleanup-uploaded-files": {
        "task": f"{_CLEANUP}.cleanup_uploaded_files",
        "schedule": crontab(hour=2, minute=30),
        "args": (7,),
        "options": {"expires": DAY},
    },
    "cleanup-old-audio": {
        "task": f"{_AUDIO}.cleanup_old_audio",
        "schedule": crontab(hour=3, minute=10),
        "args": (30,),  # as the samples of the same sessions
        "options": {"expires": DAY},
    },
    "cleanup-orphan-audio-files": {
        "task": f"{_AUDIO}.cleanup_orphan_audio_files",
        "schedule": crontab(hour=3, minute=20),
        "options": {"expires": DAY},
    },
    "expire-chunked-uploads": {
        "task": f"{_AUDIO}.expire_chunked_uploads",
        "schedule": 900.0,
        "options": {"expires": 900},
    },
    "optimize-database": {
        "task": f"{_CLEANUP}.optimize_database",
        "schedule": crontab(hour=4, minute=0, day_of_week="sunday"),
        "options": {"expires": WEEK},
    },
    "generate-cleanup-report": {
        "task": f"{_CLEANUP}.generate_cleanup_report",
        "schedule": crontab(hour=5, minute=0),
        "options": {"expires": DAY},
    },
    "sweep-unanalysed-sessions": {
        "task": "app.tasks.data_processing.sweep_unanalysed_sessions",
        "schedule": 600.0,
        "options": {"expires": 600},
    },
    "resume-stalled-uploads": {
        "task": "app.tasks.uploads.resume_stalled_uploads",
        "schedule": 600.0,
        "options": {"expires": 600},
    },
    "purge-old-tombstones": {
        "task": "app.tasks.maintenance.purge_old_tombstones",
        "schedule": crontab(hour=3, minute=45),
        "options": {"expires": DAY},
    },
    "purge-expired-revocations": {
        "task": "app.tasks.maintenance.purge_expired_revocations",
        "schedule": crontab(minute=15),
        "options": {"expires": HOUR},
    },
}
