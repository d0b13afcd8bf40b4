// Powertools for AWS Lambda (TypeScript) idempotency, as the idemproxy
// benchmark runs it: makeIdempotent with Powertools' DynamoDB persistence
// layer, the same key as idemproxy (powertools_json(body).order_id), and a
// handler that does what the Go test handler does: echo {count, event}, or
// throw on {"action": "error"}.
//
//   node powertools_ts.mjs cold TABLE ENDPOINT    one JSON line of start-up timings, then exit
//   node powertools_ts.mjs serve TABLE ENDPOINT   one JSON event per stdin line; one JSON answer
//                                                per stdout line: {ns, result, error}, where ns
//                                                is the handler call's own time (in-process)
//
// Credentials and region come from the environment (AWS_ACCESS_KEY_ID ...).
const t0 = process.hrtime.bigint();
const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
const tSdk = process.hrtime.bigint();
const { makeIdempotent, IdempotencyConfig } = await import('@aws-lambda-powertools/idempotency');
const { DynamoDBPersistenceLayer } = await import('@aws-lambda-powertools/idempotency/dynamodb');
const tLib = process.hrtime.bigint();
const { createInterface } = await import('node:readline');

class TestError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TestError';
  }
}

const [mode, tableName, endpoint] = process.argv.slice(2);
const client = new DynamoDBClient({ endpoint });
const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
let count = 0;
const handler = makeIdempotent(
  async (event, _context) => {
    count += 1;
    if (event.action === 'error') {
      throw new TestError('boom');
    }
    return { count, event };
  },
  { persistenceStore, config: new IdempotencyConfig({ eventKeyJmesPath: 'powertools_json(body).order_id' }) },
);
const tReady = process.hrtime.bigint();

if (mode === 'cold') {
  process.stdout.write(
    JSON.stringify({
      sdk_import_ns: Number(tSdk - t0),
      lib_import_ns: Number(tLib - tSdk),
      client_ns: Number(tReady - tLib),
    }) + '\n',
  );
} else {
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    const event = JSON.parse(line);
    const context = {
      functionName: 'bench',
      memoryLimitInMB: '1024',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
      awsRequestId: `req-${n++}`,
      getRemainingTimeInMillis: () => 300000,
    };
    const start = process.hrtime.bigint();
    let result = null;
    let error = null;
    try {
      result = await handler(event, context);
    } catch (e) {
      error = e?.name ?? String(e);
    }
    const ns = Number(process.hrtime.bigint() - start);
    process.stdout.write(JSON.stringify({ ns, result, error }) + '\n');
  }
}
