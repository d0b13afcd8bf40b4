// An ordinary Lambda handler behind a function URL: no idempotency code.
//
// The idemproxy layer (AWS_LAMBDA_EXEC_WRAPPER=/opt/idemproxy-wrapper) makes
// it idempotent. Every real execution returns a new executionId, so a
// replayed response is easy to spot: same body, same executionId.
import { randomUUID } from "node:crypto";

export const handler = async (event) => {
  const order = JSON.parse(event.body || "{}");
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      runtime: "nodejs",
      orderId: order.orderId ?? null,
      executionId: randomUUID(),
      executedAt: new Date().toISOString(),
    }),
  };
};
