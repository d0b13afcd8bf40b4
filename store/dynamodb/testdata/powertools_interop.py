"""Powertools for AWS Lambda (Python) side of store/dynamodb's interop test.

Reads one JSON request on stdin and prints one JSON line on stdout. Run with
the repository's .venv (aws-lambda-powertools pinned in test/requirements.txt)
and AWS_ENDPOINT_URL_DYNAMODB pointing at a local DynamoDB server.

Request fields:
  mode               "key": compute the idempotency key and payload hash only
                     "run": call an @idempotent_function once
  table, key_attr, sort_key_attr (or null), static_pk_value (or null)
  key_prefix, event_key_jmespath, payload_validation_jmespath
  event              the data passed to the idempotent function
  result             what the function returns when it runs (mode "run")
  counter            a file the function appends a line to each time it runs

Output: {"key", "payload_hash"} and, for "run", {"returned", "runs"}: the value
the decorated call returned and how many times the function body has run.
"""

import json
import os
import sys

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)


def main() -> None:
    req = json.load(sys.stdin)
    layer = DynamoDBPersistenceLayer(
        table_name=req["table"],
        key_attr=req["key_attr"],
        sort_key_attr=req.get("sort_key_attr"),
        static_pk_value=req.get("static_pk_value"),
    )
    config = IdempotencyConfig(
        event_key_jmespath=req["event_key_jmespath"],
        payload_validation_jmespath=req["payload_validation_jmespath"],
    )
    out = {}
    if req["mode"] == "run":
        counter = req["counter"]

        @idempotent_function(
            data_keyword_argument="event",
            persistence_store=layer,
            config=config,
            key_prefix=req["key_prefix"],
        )
        def work(event):
            with open(counter, "a", encoding="utf-8") as f:
                f.write("ran\n")
            return req["result"]

        out["returned"] = work(event=req["event"])
        out["runs"] = count_lines(counter)
    else:
        # The decorator configures the layer on its first call; do the same
        # without calling anything.
        layer.configure(config, key_prefix=req["key_prefix"])
    out["key"] = layer._get_hashed_idempotency_key(req["event"])
    out["payload_hash"] = layer._get_hashed_payload(req["event"])
    print(json.dumps(out))


def count_lines(path: str) -> int:
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


if __name__ == "__main__":
    main()
