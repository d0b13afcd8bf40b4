"""An ordinary Lambda handler behind a function URL: no idempotency code.

The idemproxy layer (AWS_LAMBDA_EXEC_WRAPPER=/opt/idemproxy-wrapper) makes it
idempotent. Every real execution returns a new executionId, so a replayed
response is easy to spot: same body, same executionId.
"""

import json
import time
import uuid


def lambda_handler(event, context):
    order = json.loads(event.get("body") or "{}")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {
                "runtime": "python",
                "orderId": order.get("orderId"),
                "executionId": str(uuid.uuid4()),
                "executedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        ),
    }
