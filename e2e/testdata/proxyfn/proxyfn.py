"""A function behind API Gateway or a function URL, for the e2e tests of the
settings beyond Powertools (run by awslambdaric as proxyfn.handler).

The event says what to return: {"status": 200, "headers": {...} or absent,
"multi": {...} (multiValueHeaders) or absent, "raw": true (a plain JSON
object, not a proxy response), "sleep_ms": 0, "count_file": path, "data": ...}.
Each run appends "<request id> <pid>" to count_file before sleeping; the
response body names the run ({"run": n, "request_id": ...}).
"""

import itertools
import json
import os
import threading
import time

_counter = itertools.count(1)
_lock = threading.Lock()


def handler(event, context):
    with _lock:
        n = next(_counter)
    count_file = event.get("count_file")
    if count_file:
        with open(count_file, "a") as f:
            f.write(f"{context.aws_request_id} {os.getpid()}\n")
    time.sleep(event.get("sleep_ms", 0) / 1000)
    body = json.dumps({"run": n, "request_id": context.aws_request_id, "pid": os.getpid()})
    if event.get("raw"):
        return {"run": n, "request_id": context.aws_request_id, "statusCode": "not a proxy response"}
    out = {"statusCode": event.get("status", 200)}
    if "headers" in event:
        out["headers"] = event["headers"]
    if "multi" in event:
        out["multiValueHeaders"] = event["multi"]
    out["body"] = body
    return out
