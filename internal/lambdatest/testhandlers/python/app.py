"""Python test function of the end-to-end tests (run by awslambdaric).

An ordinary handler with no idempotency code. The "action" field of the event
selects its behaviour; it mirrors the Go test handler (see lambdatest.Event in
internal/lambdatest/event.go). With HANDLER_INIT_ERROR=1 the module fails at
import time, which the runtime reports as an init error.
"""

import itertools
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

print(f"app: started pid={os.getpid()}", file=sys.stderr, flush=True)

if os.environ.get("HANDLER_INIT_ERROR") == "1":
    raise RuntimeError("app: init failed on purpose (HANDLER_INIT_ERROR=1)")

DEFAULT_ERROR_MESSAGE = "boom: ünïcödé ✓"

# Must equal lambdatest.BinaryPayload() byte for byte.
BINARY_PAYLOAD = (
    "héllo wörld ✓ 日本語 🚀\n".encode()
    + bytes(range(256))
    + b'\r\n\xc3\x28\xff\xfe{"not": json}\n'
)

_PATTERN = "abcdefghijklmnopqrstuvwxyz0123456789"
_counter = itertools.count(1)
_lock = threading.Lock()


class TestError(Exception):
    """Error type of the "error" action (errorType "TestError")."""


def _filler(size):
    if size <= 0:
        return ""
    return (_PATTERN * (size // len(_PATTERN) + 1))[:size]


def _invocation_context(context, n):
    identity = context.identity
    client_context = context.client_context
    left = context.get_remaining_time_in_millis()
    timeout = int(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "0") or 0)
    return {
        "count": n,
        "request_id": context.aws_request_id,
        "function_arn": context.invoked_function_arn,
        "cognito_identity_id": getattr(identity, "cognito_identity_id", None) or "",
        "cognito_identity_pool_id": getattr(identity, "cognito_identity_pool_id", None) or "",
        "client_custom": (getattr(client_context, "custom", None) or {}) if client_context else {},
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID", ""),
        "deadline_ok": left > 0 and (timeout == 0 or left <= timeout * 1000),
    }


def _local_api(calls, request_id):
    base = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/idemproxy/v1/"
    token = ""
    out = []
    for call in calls:
        if call.get("sleep_ms"):
            time.sleep(call["sleep_ms"] / 1000)
        body = json.dumps(call.get("body")) if "body" in call else ""
        body = body.replace("$TOKEN", token).replace("$REQUEST_ID", request_id)
        req = urllib.request.Request(base + call["path"], data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        answer = json.loads(raw)
        token = answer.get("token") or token
        out.append({"status": status, "body": answer})
    return out


def handler(event, context):
    with _lock:
        n = next(_counter)
    event = event if isinstance(event, dict) else {}
    count_file = event.get("count_file")
    if count_file:
        with open(count_file, "a") as f:
            f.write(f"{context.aws_request_id} {os.getpid()}\n")
    action = event.get("action", "")
    if action == "env":
        names = event.get("names") or []
        return {
            "count": n,
            "AWS_LAMBDA_RUNTIME_API": os.environ.get("AWS_LAMBDA_RUNTIME_API", ""),
            "env": {name: os.environ.get(name, "") for name in names},
        }
    if action == "info":
        return {"count": n, "pid": os.getpid(), "request_id": context.aws_request_id}
    if action == "context":
        return _invocation_context(context, n)
    if action == "big":
        return {"count": n, "data": _filler(int(event.get("size", 0)))}
    if action == "bytes":
        return b"count=%d\n" % n + BINARY_PAYLOAD
    if action == "error":
        raise TestError(event.get("message") or DEFAULT_ERROR_MESSAGE)
    if action == "sleep":
        ms = int(event.get("ms", 0))
        time.sleep(ms / 1000)
        return {"count": n, "slept_ms": ms}
    if action == "exit":
        print("app: exiting with status 3", file=sys.stderr, flush=True)
        os._exit(3)
    if action == "batch":
        time.sleep(int(event.get("ms", 0)) / 1000)
        processed, failures = [], []
        for rec in event.get("Records") or []:
            rid = rec.get("messageId") or (rec.get("kinesis") or {}).get("sequenceNumber") or (rec.get("dynamodb") or {}).get("SequenceNumber")
            processed.append(rid)
            if rid in (event.get("fail") or []):
                failures.append({"itemIdentifier": rid})
        return {"processed": processed, "batchItemFailures": failures}
    if action == "localapi":
        calls = _local_api(event.get("calls") or [], context.aws_request_id)
        return {"count": n, "request_id": context.aws_request_id, "calls": calls}
    if action == "panic":
        raise SystemExit("app: exit on purpose")
    return {"count": n, "event": event}
