#!/usr/bin/env node
// The Powertools for AWS Lambda (TypeScript) side of interop_ts_test.go: run
// a function made idempotent by @aws-lambda-powertools/idempotency with its
// DynamoDB persistence layer, once, on the event read from stdin.
//
// stdin: {"table", "endpoint", "event", "result", "eventKeyJmesPath",
// "payloadValidationJmesPath"}; stdout: {"returned", "runs"}. The function
// name (the key prefix) is AWS_LAMBDA_FUNCTION_NAME; credentials and region
// come from the environment. The package is taken from bench/peers, or from
// the node_modules folder POWERTOOLS_TS_NODE_MODULES names.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.POWERTOOLS_TS_NODE_MODULES ?? join(here, '..', '..', '..', 'bench', 'peers', 'node_modules');
const pkg = join(modules, '@aws-lambda-powertools', 'idempotency', 'lib', 'esm');
const { makeIdempotent, IdempotencyConfig } = await import(pathToFileURL(join(pkg, 'index.js')).href);
const { DynamoDBPersistenceLayer } = await import(pathToFileURL(join(pkg, 'persistence', 'DynamoDBPersistenceLayer.js')).href);

const req = JSON.parse(readFileSync(0, 'utf8'));
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: req.table, clientConfig: { endpoint: req.endpoint } });
let runs = 0;
const handler = makeIdempotent(
  async () => {
    runs += 1;
    return req.result;
  },
  {
    persistenceStore,
    config: new IdempotencyConfig({
      eventKeyJmesPath: req.eventKeyJmesPath,
      payloadValidationJmesPath: req.payloadValidationJmesPath || undefined,
    }),
  },
);
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  awsRequestId: 'interop',
  getRemainingTimeInMillis: () => 60000,
};
const returned = await handler(req.event, context);
process.stdout.write(JSON.stringify({ returned, runs }) + '\n');
