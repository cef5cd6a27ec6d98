"""The Beat schedule (UTC). Exactly one `celery beat` may run, or every entry runs twice.

`expires` drops a periodic task that waited longer than its own period (a worker was down),
so a backlog of identical housekeeping runs never piles up.
"""

from __future__ import annotations

from celery.schedules import crontab

from app.worker import task_names as names

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY

BEAT_SCHEDULE: dict[str, dict] = {
    "cleanup-old-sensor-data": {
        "task": names.CLEANUP_OLD_SENSOR_DATA,
        "schedule": crontab(hour=3, minute=0),
        "args": (30,),
        "options": {"expires": DAY},
    },
    "cleanup-old-sync-logs": {
        "task": names.CLEANUP_OLD_SYNC_LOGS,
        "schedule": crontab(hour=3, minute=30, day_of_week="sunday"),
        "args": (90,),
        "options": {"expires": WEEK},
    },
    "cleanup-failed-sessions": {
        "task": names.CLEANUP_FAILED_SESSIONS,
        "schedule": crontab(hour=2, minute=0),
        "args": (24,),
        "options": {"expires": DAY},
    },
    "cleanup-uploaded-files": {
        "task": names.CLEANUP_UPLOADED_FILES,
        "schedule": crontab(hour=2, minute=30),
        "args": (7,),
        "options": {"expires": DAY},
    },
    "cleanup-old-audio": {
        "task": names.CLEANUP_OLD_AUDIO,
        "schedule": crontab(hour=3, minute=10),
        "args": (30,),  # as the samples of the same sessions
        "options": {"expires": DAY},
    },
    "cleanup-orphan-audio-files": {
        "task": names.CLEANUP_ORPHAN_AUDIO_FILES,
        "schedule": crontab(hour=3, minute=20),
        "options": {"expires": DAY},
    },
    "expire-chunked-uploads": {
        "task": names.EXPIRE_CHUNKED_UPLOADS,
        "schedule": 900.0,
        "options": {"expires": 900},
    },
    "optimize-database": {
        "task": names.OPTIMIZE_DATABASE,
        "schedule": crontab(hour=4, minute=0, day_of_week="sunday"),
        "options": {"expires": WEEK},
    },
    "generate-cleanup-report": {
        "task": names.GENERATE_CLEANUP_REPORT,
        "schedule": crontab(hour=5, minute=0),
        "options": {"expires": DAY},
    },
    "sweep-unanalysed-sessions": {
        "task": names.SWEEP_UNANALYSED_SESSIONS,
        "schedule": 600.0,
        "options": {"expires": 600},
    },
    "sweep-compaction": {
        "task": names.SWEEP_COMPACTION,
        "schedule": 600.0,
        "options": {"expires": 600},
    },
    "resume-stalled-uploads": {
        "task": names.RESUME_STALLED_UPLOADS,
        "schedule": 600.0,
        "options": {"expires": 600},
    },
    "purge-old-tombstones": {
        "task": names.PURGE_OLD_TOMBSTONES,
        "schedule": crontab(hour=3, minute=45),
        "options": {"expires": DAY},
    },
    "purge-expired-revocations": {
        "task": names.PURGE_EXPIRED_REVOCATIONS,
        "schedule": crontab(minute=15),
        "options": {"expires": HOUR},
    },
}
