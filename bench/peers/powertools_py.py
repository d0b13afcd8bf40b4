"""Powertools for AWS Lambda (Python) idempotency, as the idemproxy benchmark runs it.

The handler is decorated with @idempotent and Powertools' DynamoDB persistence
layer, with the same key as idemproxy (powertools_json(body).order_id), and
does what the Go test handler does: echo {"count": N, "event": event}, or raise
on {"action": "error"}.

    python powertools_py.py cold TABLE ENDPOINT    one JSON line of start-up timings, then exit
    python powertools_py.py serve TABLE ENDPOINT   one JSON event per stdin line; one JSON answer
                                                  per stdout line: {"ns", "result", "error"}, where
                                                  ns is the handler call's own time (in-process)

Credentials and region come from the environment (AWS_ACCESS_KEY_ID ...).
"""

import time

T0 = time.perf_counter_ns()

import json  # noqa: E402
import sys  # noqa: E402

import boto3  # noqa: E402

T_SDK = time.perf_counter_ns()

from aws_lambda_powertools.utilities.idempotency import (  # noqa: E402
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent,
)

T_LIB = time.perf_counter_ns()


class TestError(Exception):
    """The handler's failure, as the Go test handler's TestError."""


class Context:
    """The parts of the Lambda context that Powertools reads."""

    function_name = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"

    def __init__(self, request_id):
        self.aws_request_id = request_id

    @staticmethod
    def get_remaining_time_in_millis():
        return 300_000


def build(table, endpoint):
    """The persistence layer and the decorated handler."""
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    layer = DynamoDBPersistenceLayer(table_name=table, boto3_client=client)
    config = IdempotencyConfig(event_key_jmespath="powertools_json(body).order_id")
    count = 0

    @idempotent(config=config, persistence_store=layer)
    def handler(event, context):
        nonlocal count
        count += 1
        if event.get("action") == "error":
            raise TestError("boom")
        return {"count": count, "event": event}

    return handler


def main():
    mode, table, endpoint = sys.argv[1:4]
    handler = build(table, endpoint)
    t_ready = time.perf_counter_ns()
    if mode == "cold":
        print(json.dumps({
            "sdk_import_ns": T_SDK - T0,
            "lib_import_ns": T_LIB - T_SDK,
            "client_ns": t_ready - T_LIB,
        }), flush=True)
        return
    for n, line in enumerate(sys.stdin):
        event = json.loads(line)
        context = Context(f"req-{n}")
        start = time.perf_counter_ns()
        result, error = None, None
        try:
            result = handler(event, context)
        except Exception as e:  # noqa: BLE001 - reported to the driver
            error = type(e).__name__
        elapsed = time.perf_counter_ns() - start
        sys.stdout.write(json.dumps({"ns": elapsed, "result": result, "error": error}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
