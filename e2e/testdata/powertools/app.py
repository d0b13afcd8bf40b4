"""A Lambda handler made idempotent the Powertools way: the peer idemproxy
must interoperate with on the same DynamoDB table.

Module "app", function "handler": with AWS_LAMBDA_FUNCTION_NAME=test_function
its key prefix is "test_function.app.handler", the prefix idemproxy derives
for the awslambdaric handler "app.handler" of the same function.
"""

import os

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent,
)

layer = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE_NAME"])
config = IdempotencyConfig(
    event_key_jmespath="data.order",
    payload_validation_jmespath="data.amount",
)


@idempotent(persistence_store=layer, config=config)
def handler(event, context):
    with open(event["count_file"], "a", encoding="utf-8") as f:
        f.write("powertools\n")
    return {"from": "powertools", "order": event["data"]["order"], "note": "h\u00e9llo"}
