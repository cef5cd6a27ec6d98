"""Signals sent while analyses run, for monitoring and for tests that need to hold a task.

`analysis_started` fires after a task has recorded its attempt (committed) and before it reads
the samples; receivers get `session_pk`, `task_id` and `attempts` as keyword arguments.
"""

from blinker import Namespace

_signals = Namespace()

analysis_started = _signals.signal("analysis-started")
