#!/usr/bin/env node
// Generate golden_ts.json: idempotency keys computed by the real Powertools
// for AWS Lambda (TypeScript), @aws-lambda-powertools/idempotency.
//
// Run from the repository root (the package comes from bench/peers, or from
// the node_modules folder POWERTOOLS_TS_NODE_MODULES names):
//
//     node idempotency/testdata/gen_golden_ts.mjs            # rewrites golden_ts.json
//     node idempotency/testdata/gen_golden_ts.mjs --stdout   # prints it instead
//
// Every case is an event (raw JSON text, parsed with JSON.parse as the
// Node.js runtime does) and a key configuration. The expected values come
// from the package's own BasePersistenceLayer (getHashedIdempotencyKey,
// getHashedPayload) configured with its IdempotencyConfig, and from its
// IdempotencyHandler.shouldSkipIdempotency. The output is deterministic.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.POWERTOOLS_TS_NODE_MODULES ?? join(here, '..', '..', 'bench', 'peers', 'node_modules');
const pkg = join(modules, '@aws-lambda-powertools', 'idempotency');
const load = (rel) => import(pathToFileURL(join(pkg, rel)).href);

process.env.AWS_LAMBDA_FUNCTION_NAME = 'my-function';
const { BasePersistenceLayer } = await load('lib/esm/persistence/BasePersistenceLayer.js');
const { IdempotencyConfig } = await load('lib/esm/IdempotencyConfig.js');
const { IdempotencyHandler } = await load('lib/esm/IdempotencyHandler.js');
const version = (await import(pathToFileURL(join(pkg, 'package.json')).href, { with: { type: 'json' } })).default.version;

class GoldenLayer extends BasePersistenceLayer {
  async _getRecord() { throw new Error('unused'); }
  async _putRecord() { throw new Error('unused'); }
  async _updateRecord() { throw new Error('unused'); }
  async _deleteRecord() { throw new Error('unused'); }
}

console.warn = () => {}; // the package warns about missing keys

function derive(c) {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: c.eventKeyJmesPath ?? '',
    payloadValidationJmesPath: c.payloadValidationJmesPath || undefined,
    throwOnNoIdempotencyKey: c.throwOnNoIdempotencyKey ?? false,
    hashFunction: c.hashFunction ?? 'md5',
  });
  const layer = new GoldenLayer();
  const event = JSON.parse(c.event);
  const handler = new IdempotencyHandler({
    functionToMakeIdempotent: () => {},
    functionPayloadToBeHashed: event,
    idempotencyConfig: config,
    functionArguments: [event],
    persistenceStore: layer,
    keyPrefix: c.keyPrefix,
  });
  const out = { ...c };
  if (handler.shouldSkipIdempotency()) {
    out.skip = true;
    return out;
  }
  try {
    out.key = layer.getHashedIdempotencyKey(event);
  } catch (e) {
    out.error = e.name;
    return out;
  }
  out.payloadHash = layer.getHashedPayload(event);
  return out;
}

const j = JSON.stringify;
const b64 = (s) => Buffer.from(s).toString('base64');
const cases = [
  { name: 'whole event', event: '{"b": 1, "a": "x"}' },
  { name: 'whole event, custom prefix', event: '{"b": 1, "a": "x"}', keyPrefix: ' my-prefix ' },
  { name: 'unicode', event: j({ name: 'Zoë ☃ 😀 日本', s: '\u00e9\u0301', ctl: '\u0000\u001f\u007f\b\f\n\r\t"\\/\u2028\u2029', nbsp: '\u00a0' }) },
  { name: 'lone surrogates', event: '{"lone": "\\ud800x", "low": "\\udfff", "pair": "\\ud83d\\ude00", "rev": "\\ude00\\ud83d"}' },
  { name: 'numbers', event: '[1e21, 1e20, 123456789012345678901234567890, -0, 0.1, 1.0, 1e-7, 1e-6, 0.000001234, 5e-324, 1.7976931348623157e308, 1e400, -1e400, 100, 12345678901234567890, 9007199254740993, 0.1e1, 2.5E+3, 1E2, -0.0, 123.456e-10, 1e-400, 0.3, 1.5e300, -123456789.125, 4.35, 1e-5, 100000000000000000000, 999999999999999999999]' },
  { name: 'nested', event: '{"z": [{"B": 1, "a": [3, {"y": null, "X": true}]}], "A": {"c": {"b": {"a": []}}}, "m": {}, "e": [[], [[]], {}]}' },
  { name: 'case collisions', event: '{"b": 1, "B": 2, "a": 3, "A": 4, "_": 5, "Z": 6, "z": 7, "aa": 8, "Aa": 9, "aA": 10, "AA": 11, "[": 12, "`": 13}' },
  { name: 'case collisions, descending start', event: '{"z": 1, "Y": 2, "y": 3, "x": 4, "X": 5, "b": 6, "B": 7}' },
  { name: 'integer keys', event: '{"b": 1, "10": 2, "2": 3, "a": 4, "01": 5, "4294967294": 6, "4294967295": 7, "-1": 8, "1.5": 9, "0": 10}' },
  { name: '__proto__', event: '{"__proto__": {"x": 1}, "a": 1, "n": {"__proto__": 5, "b": 2}}' },
  { name: 'special lowercase', event: '{"İ": 1, "i": 2, "I": 3, "ΑΣ": 1, "ας": 2, "ασ": 3, "Σ": 4, "σ": 5, "ΑΣ.": 6, "ΑΣa": 7, "Ω": 8, "K": 9, "k": 10, "ß": 11, "SS": 12}' },
  { name: 'utf-16 order', event: '{"\\uffff": 1, "😀": 2, "\\ue000": 3, "\\ud7ff": 4, "a": 5}' },
  { name: 'duplicate keys', event: '{"a": 1, "b": 2, "a": 3}' },
  { name: 'top-level true', event: 'true' },
  { name: 'top-level string', event: '"order-42"' },
  { name: 'big object', event: j(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${(i * 37) % 100}`, i]))) },
  { name: 'path', event: '{"id": 42, "name": "x"}', eventKeyJmesPath: 'id' },
  { name: 'multiselect list', event: '{"id": 42, "name": "Zoë"}', eventKeyJmesPath: '[id, name]' },
  { name: 'multiselect hash', event: '{"id": 42, "name": "Zoë"}', eventKeyJmesPath: '{n: name, ID: id, a: id}' },
  { name: 'quoted header', event: '{"headers": {"Idempotency-Key": "abc"}}', eventKeyJmesPath: 'headers."Idempotency-Key"' },
  { name: 'powertools_json field', event: j({ body: j({ order_id: 'A-1', amount: 1e21 }) }), eventKeyJmesPath: 'powertools_json(body).order_id' },
  { name: 'powertools_json whole', event: j({ body: '{"b": -0, "a": [1e21, 0.1, 1.0], "C": {"é": "ü"}, "c": 2}' }), eventKeyJmesPath: 'powertools_json(body)' },
  { name: 'powertools_base64', event: j({ data: b64('{"x": 1}') }), eventKeyJmesPath: 'powertools_json(powertools_base64(data))' },
  { name: 'projection', event: '{"Records": [{"messageId": "m1"}, {"messageId": "m2"}]}', eventKeyJmesPath: 'Records[*].messageId' },
  { name: 'filter', event: '{"Records": [{"eventName": "INSERT", "id": 1}, {"eventName": "MODIFY", "id": 2}]}', eventKeyJmesPath: "Records[?eventName=='INSERT'].id" },
  { name: 'missing key skips', event: '{"id": 1}', eventKeyJmesPath: 'missing' },
  { name: 'empty object selection is used', event: '{"id": {}}', eventKeyJmesPath: 'id' },
  { name: 'zero selection is used', event: '{"id": 0}', eventKeyJmesPath: 'id' },
  { name: 'missing key raises', event: '{"id": 1}', eventKeyJmesPath: 'missing', throwOnNoIdempotencyKey: true },
  { name: 'falsy key raises', event: '{"id": 0}', eventKeyJmesPath: 'id', throwOnNoIdempotencyKey: true },
  { name: 'falsy values raise', event: '{"id": {"a": 0, "b": "", "c": false, "d": null}}', eventKeyJmesPath: 'id', throwOnNoIdempotencyKey: true },
  { name: 'one truthy value does not raise', event: '{"id": [0, "", {}]}', eventKeyJmesPath: 'id', throwOnNoIdempotencyKey: true },
  { name: 'whole event raises when falsy', event: '{"a": 0}', throwOnNoIdempotencyKey: true },
  { name: 'payload validation', event: '{"id": 1, "amount": 10.50, "currency": "EUR"}', eventKeyJmesPath: 'id', payloadValidationJmesPath: '[amount, currency]' },
  { name: 'payload validation of a missing value', event: '{"id": 1}', eventKeyJmesPath: 'id', payloadValidationJmesPath: 'amount' },
  { name: 'sha256', event: '{"id": 1}', eventKeyJmesPath: 'id', hashFunction: 'sha256', payloadValidationJmesPath: '@' },
  { name: 'sha512', event: '{"id": "ü"}', hashFunction: 'sha512' },
  { name: 'sha1', event: '{"id": "ü"}', hashFunction: 'sha1' },
  { name: 'api gateway', event: j({ resource: '/orders', httpMethod: 'POST', headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '1.2.3.4' }, requestContext: { requestId: 'r', requestTimeEpoch: 1700000000000, identity: { sourceIp: '1.2.3.4' } }, body: j({ orderId: 42, items: [{ sku: 'A', qty: 2 }] }), isBase64Encoded: false }), eventKeyJmesPath: 'powertools_json(body)' },
];

// Random small objects whose keys collide but for case: V8's sort with
// deepSort's inconsistent comparator, step by step.
let seed = 42;
const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
for (let i = 0; i < 46; i++) {
  const n = i < 40 ? 2 + rand(30) : 64 + rand(200); // above 64: TimSort merges runs
  const len4 = i >= 40;
  const obj = {};
  for (let k = 0; k < n; k++) {
    const len = 1 + rand(len4 ? 4 : 3);
    let key = '';
    for (let c = 0; c < len; c++) key += 'aAbB_'[rand(5)];
    obj[key] = k;
  }
  cases.push({ name: `random collisions ${i}`, event: j(obj) });
}

// Numbers: what JSON.stringify writes for the double JSON.parse reads.
const numbers = [];
const texts = ['0', '-0', '1', '-1', '0.5', '1e21', '1e-7', '1e-6', '123e-20', '1.7976931348623157e308', '5e-324', '2.2250738585072014e-308',
  '9007199254740991', '9007199254740993', '18446744073709551615', '1e400', '-1e400', '1e-400', '0.1', '0.2', '0.30000000000000004',
  '100', '1e2', '123456789012345680000', '1234567890123456800000', '0.000001', '0.0000001', '1.5e-10', '-2.5e+25'];
for (let i = 0; i < 300; i++) {
  const mant = rand(2147483647) / 2147483647;
  const exp = rand(80) - 40;
  texts.push(String(mant * 10 ** exp).replace('e', 'E'));
  texts.push(`${1 + rand(99999)}${'0'.repeat(rand(25))}`);
}
for (const t of texts) numbers.push([t, JSON.stringify(JSON.parse(t))]);

// Lowercase: String.prototype.toLowerCase on tricky strings.
const lower = [];
for (const s of ['İ', 'ΑΣ', 'ΑΣ ', 'Σ', 'aΣb', 'AΣ.', 'AΣ\u0301', 'ǅ', 'ẞ', 'Ω', 'K', 'Å', 'ÀÉÎ', 'ΣΑΣ', 'a.Σ', '\u{10400}']) {
  lower.push([s, s.toLowerCase()]);
}

const out = {
  generator: `@aws-lambda-powertools/idempotency ${version} on Node.js ${process.version}`,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  cases: cases.map(derive),
  numbers,
  lower,
};
const text = JSON.stringify(out, null, 1) + '\n';
if (process.argv.includes('--stdout')) {
  process.stdout.write(text);
} else {
  writeFileSync(join(here, 'golden_ts.json'), text);
}
