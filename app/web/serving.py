"""gunicorn integration (`worker_class` in gunicorn_config.py): the sync worker with two
changes, both found by tests/system/test_hostile_input.py, and the threaded worker (one process
with threads, as when rate limits are kept in process memory) with the same two.

- Errors gunicorn answers itself (request line or headers too large, malformed HTTP) are JSON,
  not gunicorn's HTML page. They come before any routing (the path may be what is malformed),
  so the body carries both shapes: `{"error"}` like every error of /api
  (docs/sync.md#whole-request-failures) and `{"success": false, "code", "message"}`, which the
  KooDTX app reads (docs/app-protocol.md).
- A client socket that sends nothing for `GUNICORN_CLIENT_TIMEOUT` seconds (default 10) is
  dropped. A sync worker serves one connection at a time, so a stalled client (slowloris)
  used to hold a worker until gunicorn killed it after `timeout` (120 s). Against many slow
  clients at once, run behind a buffering proxy (nginx), as gunicorn's documentation advises.
"""

from __future__ import annotations

import errno
import json

from gunicorn import util
from gunicorn.workers.gthread import TConn
from gunicorn.workers.gthread import ThreadWorker as _GunicornThreadWorker
from gunicorn.workers.sync import SyncWorker as _GunicornSyncWorker

from config import config_for

CLIENT_TIMEOUT_SECONDS = config_for().GUNICORN_CLIENT_TIMEOUT


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for `gunicorn.util.write_error` with a JSON body."""
    message = mesg or reason
    code = reason.upper().replace("-", "_").replace(" ", "_")  # Bad Request -> BAD_REQUEST
    body = json.dumps(
        {"error": message, "success": False, "code": code, "message": message}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


class SyncWorker(_GunicornSyncWorker):
    def init_process(self) -> None:
        util.write_error = write_json_error  # gunicorn looks it up on the module per error
        super().init_process()

    def accept(self, listener) -> None:
        client, addr = listener.accept()
        client.settimeout(CLIENT_TIMEOUT_SECONDS)  # the base class makes it fully blocking
        util.close_on_exec(client)
        self.handle(listener, client, addr)


class _TimedConnection(TConn):
    def init(self) -> None:
        """Runs before every request on the connection, after the worker made the socket
        fully blocking: bound each read instead, as the sync worker does."""
        super().init()
        self.sock.settimeout(CLIENT_TIMEOUT_SECONDS)


class ThreadWorker(_GunicornThreadWorker):
    """The threaded worker (one process with GUNICORN_THREADS threads) with both changes:
    gthread waits for a connection's first bytes without holding a thread, but then reads the
    request with no time limit, so a few stalled clients would hold every thread."""

    def init_process(self) -> None:
        util.write_error = write_json_error
        super().init_process()

    def accept(self, listener) -> None:
        """gthread's own, with a connection that bounds its reads."""
        try:
            client, addr = listener.accept()
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED):
                return  # taken by another worker, or gone already
            raise
        self.nr_conns += 1
        self.enqueue_req(_TimedConnection(self.cfg, client, addr, listener.getsockname()))
