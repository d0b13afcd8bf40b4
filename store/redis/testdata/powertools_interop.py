"""Drive the real Powertools Redis persistence layer for store/redis's interop tests.

Usage: powertools_interop.py REDIS_URL MODE EVENT_JSON [RESULT_JSON]

Every mode calls one function decorated with Powertools' idempotent_function,
backed by RedisCachePersistenceLayer (Powertools' default field names), with
the idempotency key "idemproxy-interop#<md5 of EVENT_JSON>". It prints one
JSON object on stdout:

  key     {"key": K}, without calling the function.
  write   calls the function, which returns RESULT_JSON, so Powertools stores
          a COMPLETED record; prints {"key": K, "data": D, "outcome": O} where
          D is the data string Powertools stored (json.dumps(result,
          sort_keys=True)).
  replay  calls the function; prints {"key": K, "outcome": O, "result": R}.

O is "executed" if the function ran, "replayed" if Powertools returned a
stored result without running it, "in_progress" if it raised
IdempotencyAlreadyInProgressError.
"""

import json
import sys

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.persistence.redis import RedisCachePersistenceLayer

KEY_PREFIX = "idemproxy-interop"


def main() -> None:
    url, mode, event = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    result = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {"ran": True}
    layer = RedisCachePersistenceLayer(url=url)
    config = IdempotencyConfig(expires_after_seconds=3600)
    calls = []

    @idempotent_function(
        data_keyword_argument="order",
        persistence_store=layer,
        config=config,
        key_prefix=KEY_PREFIX,
    )
    def handle(order: dict) -> dict:
        calls.append(order)
        return result

    layer.configure(config, function_name=None, key_prefix=KEY_PREFIX)
    out = {"key": layer._get_hashed_idempotency_key(data=event)}
    if mode == "key":
        print(json.dumps(out))
        return
    try:
        got = handle(order=event)
        out["outcome"] = "executed" if calls else "replayed"
        out["result"] = got
    except IdempotencyAlreadyInProgressError:
        out["outcome"] = "in_progress"
    if mode == "write":
        out["data"] = json.dumps(result, sort_keys=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
