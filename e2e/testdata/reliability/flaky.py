"""Test function of the reliability tests (run by awslambdaric as flaky.handler).

An ordinary handler with no idempotency code. Every run first appends
"<request id> <pid>" to event["count_file"] (if given), then sleeps
event["pause_ms"] milliseconds, so that a test can tell the handler is running
and act (change a store fault, kill a process) before it answers. Then
event["action"] decides:

- "error": raise FlakyError.
- "crash_once": on the first run for event["marker"] (a file that does not
  exist yet, created here), kill the runtime process; later runs succeed.
- "sleep_once": on the first run for event["marker"], sleep event["ms"]
  milliseconds (past the function timeout), later runs succeed at once.
- "big": return {"data": <event["size"] bytes>}.
- anything else: return {"request_id", "pid", "data"}.

Runs that do the same thing on the same event are what idempotency is for:
"crash_once" and "sleep_once" let a test retry the very same event after a
crash or a timeout and see it succeed.
"""

import os
import sys
import time


class FlakyError(Exception):
    """The error of the "error" action (errorType "FlakyError")."""


def _first_time(marker):
    if not marker:
        return False
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def handler(event, context):
    event = event if isinstance(event, dict) else {}
    count_file = event.get("count_file")
    if count_file:
        with open(count_file, "a", encoding="utf-8") as f:
            f.write(f"{context.aws_request_id} {os.getpid()}\n")
    pause = int(event.get("pause_ms", 0) or 0)
    if pause:
        time.sleep(pause / 1000)
    action = event.get("action", "")
    if action == "error":
        raise FlakyError("failed on purpose")
    if action == "crash_once" and _first_time(event.get("marker")):
        print("flaky: crashing on purpose", file=sys.stderr, flush=True)
        os._exit(3)
    if action == "sleep_once" and _first_time(event.get("marker")):
        time.sleep(int(event.get("ms", 0)) / 1000)
    if action == "big":
        return {"data": "x" * int(event.get("size", 0))}
    return {"request_id": context.aws_request_id, "pid": os.getpid(), "data": event.get("data")}
