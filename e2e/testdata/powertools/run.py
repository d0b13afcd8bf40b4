"""Calls app.handler once with the event read from stdin, as Lambda would,
and prints {"returned": <what it returned>, "stored": <json.dumps of it with
sort_keys, the bytes Powertools stores>}."""

import json
import sys
import time

import app


class Context:
    function_name = "test_function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:012345678912:function:test_function"
    memory_limit_in_mb = 128
    aws_request_id = "powertools-req"
    log_group_name = "/aws/lambda/test_function"
    log_stream_name = "stream"

    def __init__(self):
        self._deadline = time.time() + 30

    def get_remaining_time_in_millis(self):
        return int((self._deadline - time.time()) * 1000)


event = json.load(sys.stdin)
returned = app.handler(event, Context())
print(json.dumps({"returned": returned, "stored": json.dumps(returned, sort_keys=True)}))
