#!/usr/bin/env python3
"""Generate golden.json: idempotency keys computed by the real Powertools.

Run from the repository root:

    .venv/bin/python idempotency/testdata/gen_golden.py

Every case is an event (raw bytes) and a key configuration. The event is
decoded exactly as the Lambda Python runtime does (awslambdaric's
LambdaMarshaller, i.e. simplejson.loads), then handed to a
BasePersistenceLayer configured with IdempotencyConfig, and the expected
values come from Powertools' own _get_hashed_idempotency_key,
_get_hashed_payload and is_missing_idempotency_key. The output is
deterministic: rerunning the script rewrites the same file.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import struct
import sys
import warnings

import jmespath
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json")
os.environ.pop("AWS_LAMBDA_FUNCTION_NAME", None)


class GoldenLayer(BasePersistenceLayer):
    """A persistence layer that only derives keys."""

    def _get_record(self, idempotency_key):
        raise NotImplementedError

    def _put_record(self, data_record):
        raise NotImplementedError

    def _update_record(self, data_record):
        raise NotImplementedError

    def _delete_record(self, data_record):
        raise NotImplementedError


def derive(event: bytes, key_expr, validation_expr, hash_function, key_prefix, function_name):
    """Return the expected outcome for one case, as Powertools computes it."""
    try:
        data = LambdaMarshaller().unmarshal_request(event)
    except Exception as exc:  # the runtime rejects the event
        return {"error": "event", "detail": type(exc).__name__}
    layer = GoldenLayer()
    config = IdempotencyConfig(
        event_key_jmespath=key_expr or "",
        payload_validation_jmespath=validation_expr or "",
        hash_function=hash_function,
    )
    try:
        layer.configure(config, function_name=function_name, key_prefix=key_prefix)
    except Exception as exc:
        return {"error": "config", "detail": type(exc).__name__, "prefix": layer.function_name}
    out = {"prefix": layer.function_name}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            key = layer._get_hashed_idempotency_key(data)
        except Exception as exc:
            out.update(error="eval", detail=type(exc).__name__)
            return out
    if key is None:
        # Powertools skips persistence; the key is what _generate_hash would give.
        selected = data
        if layer.event_key_jmespath:
            selected = layer.event_key_compiled_jmespath.search(
                data, options=jmespath.Options(**layer.jmespath_options)
            )
        assert layer.is_missing_idempotency_key(selected)
        out.update(key=f"{layer.function_name}#{layer._generate_hash(selected)}", payload_hash="", missing=True)
        return out
    try:
        payload_hash = layer._get_hashed_payload(data)
    except Exception as exc:
        out.update(error="eval", detail=type(exc).__name__)
        return out
    out.update(key=key, payload_hash=payload_hash, missing=False)
    if _leaks_object_address(layer, data):
        # e.g. to_string(&foo) renders "<... _Expression object at 0x...>":
        # Powertools' key changes from run to run; Go refuses to hash it.
        return {"prefix": layer.function_name, "error": "nondeterministic"}
    return out


def _leaks_object_address(layer, data) -> bool:
    options = jmespath.Options(**layer.jmespath_options)
    for compiled in (layer.event_key_compiled_jmespath, layer.validation_key_jmespath):
        if compiled is not None and " object at 0x" in json.dumps(compiled.search(data, options=options), default=str):
            return True
    return False


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64gzip(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()


ORDER_BODY = (
    '{"order_id": 12345678901234567890, "user_id": "xyz", "product_id": "123456789",'
    ' "amount": 10.50, "amount_str": "42", "note": "caf\\u00e9 \\ud83d\\ude00",'
    ' "items": [{"sku": "B-2", "qty": 2, "price": 12.5}, {"sku": "A-1", "qty": 1, "price": 9.99},'
    ' {"sku": "C-3", "qty": 5, "price": 10}], "nested": {"z": 1, "a": [true, null, -0]}}'
)


def apigw_rest(body: str, b64_body: bool = False) -> str:
    """A realistic API Gateway REST (v1) proxy event."""
    event = {
        "resource": "/orders",
        "path": "/orders/1",
        "httpMethod": "POST",
        "headers": {
            "Host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "Content-Type": "application/json",
            "X-Idempotency-Key": "3f0b8a3e-2f4c-4b8e-9a52-6c1d0e5b7a11",
            "x-key": "k-\u00e9",
            "User-Agent": "curl/8.5.0",
        },
        "multiValueHeaders": {"Accept": ["*/*", "application/json"], "X-Trace": ["t1"]},
        "queryStringParameters": {"verbose": "true", "page": "2"},
        "pathParameters": {"id": "1"},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "abcd12",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "curl/8.5.0", "cognitoIdentityId": None},
            "requestTimeEpoch": 1717171717171,
            "httpMethod": "POST",
            "apiId": "abc123",
        },
        "body": b64(body) if b64_body else body,
        "isBase64Encoded": b64_body,
    }
    return json.dumps(event)


def sqs(bodies) -> str:
    records = []
    for i, body in enumerate(bodies):
        records.append(
            {
                "messageId": f"059f36b4-87a3-44ab-83d2-66197508962{i}",
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183"},
                "messageAttributes": {"tenant": {"stringValue": "acme", "dataType": "String"}},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "awsRegion": "us-east-2",
            }
        )
    return json.dumps({"Records": records})


CW_LOGS = json.dumps(
    {"awslogs": {"data": b64gzip('{"logGroup": "/aws/lambda/x", "logEvents": [{"id": "3719", "message": "h\\u00e9llo"}]}')}}
)

APIGW = apigw_rest(ORDER_BODY)
APIGW_B64 = apigw_rest(ORDER_BODY, b64_body=True)
SQS = sqs(['{"id": 7, "v": 1.0}', "not json", '{"id": 8}'])
# Events used by many cases are stored once, in "events", and named by "event_ref".
SHARED_EVENTS = {"apigw": APIGW, "apigw_b64": APIGW_B64, "sqs": SQS, "cwlogs": CW_LOGS}

# Events for the whole-event (canonical JSON) cases: text or raw bytes.
CANONICAL_EVENTS = [
    "{}", "[]", "null", "true", "false", '""', '"x"', "0", "-0", "-0.0", "0.0", "1", "1.0", "1.10",
    "1E2", "1e2", "1E+2", "1e15", "1e16", "1e-5", "0.0001", "0.00001", "1e22", "1e21", "1.5e300",
    "-2.5e-300", "123456789012345678901234567890", "-123456789012345678901234567890",
    "9007199254740993", "9007199254740993.0", "1e400", "-1e400", "1e-400", "-1e-400", "5e-324",
    "1.7976931348623157e308", "0.1", "0.30000000000000004", "123456789.123456789",
    "12345678901234567.0", "100", "-1", "1" + "0" * 4299, "2" * 4300, "0." + "1" * 5000,
    '"h\u00e9llo \u65e5\u672c\u8a9e"', '"\U0001F600"', '"\\ud83d\\ude00"', '"\\ud800"',
    '"\\udc00"', '"\\ud800\\u0041"', '"\\udc00\\ud800"', '"\\ud800\\ud83d\\ude00"',
    '"\\ud800\\""', '"a\\\\ud800"', '{"\\ud800": 1, "\\ud800x": 2}',
    '"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t"', '"\\u007f"', '"\x7f"', '"\\/ <>&\'"', '"\\u2028\\u2029"',
    '"\\uffff\\ufeff"', '"\\"\\\\"', '"\U0001D11E"', '"\\u00E9\\u00e9"',
    '{"\U0001F600":1,"\\uffff":2,"\\ud800":3,"a":4,"B":5,"\u00e9":6,"":7}',
    '{"\\uff61": 1, "\U0001F600": 2}', '{"b":{"d":1,"c":[{"z":1,"y":2}]},"a":[3,2,1]}',
    '{"a":1,"b":2,"a":3}', '{"a":1,"a":null}', '{"x":{"k":1,"k":{"z":2,"y":3}}}',
    '  {"a" : 1 ,\n"b":\t[ 1 , 2 ] , "c" :{ } }  \r\n', '[[], {}, [[]], [{}], ""]',
    '{"a":[1,2,{"c":null,"b":true}],"A":false}', '[' * 100 + ']' * 100,
    '{"k\\u00e9y": "v", "k\u00e9y2": "v"}',
    # invalid events
    "", "{", '{"a":}', "[1,]", "NaN", "[NaN]", "[Infinity]", "[-Infinity]", "01", "[1 2]",
    '{"a" 1}', '"\\x"', '"\\u12"', "{'a': 1}", '{"a":1}x', "1" * 4301, "-" + "2" * 4301,
    '["' + "\x01" + '"]', '{"a\tb": 1}', "\ufeff{}", "\ufeff  {}", "  \ufeff{}", "\u00ef\u00bb\u00bf[1]",
    "\ufeff\ufeff{}", "[1, \ufeff2]",
]
RAW_EVENTS = [b'["\xff"]', b'["\xed\xa0\x80"]', b'["\xc3"]', b'{"a":"\xc3\xa9"}']

HASHES = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256",
          "sha3_384", "sha3_512", "blake2b", "blake2s"]

KEY_EXPRESSIONS_APIGW = [
    "powertools_json(body).order_id", 'powertools_json(body).["user_id", "product_id"]',
    '[body, headers."x-key"]', 'headers."X-Idempotency-Key"', "requestContext.requestId",
    "powertools_json(body)", "body", "{id: powertools_json(body).order_id, m: httpMethod}",
    "powertools_json(body).items[*].sku", "powertools_json(body).items[?qty > `1`].sku",
    "powertools_json(body).items[?price > `10.5`] | length(@)", "powertools_json(body).items[0]",
    "powertools_json(body).items[-1]", "powertools_json(body).items[::-1].sku",
    "powertools_json(body).items[1:]", "powertools_json(body).items[5:1:-2]",
    "length(powertools_json(body).items)", "sort_by(powertools_json(body).items, &price)[*].sku",
    "sort_by(powertools_json(body).items, &sku)[0]", "to_string(powertools_json(body).order_id)",
    "to_string(powertools_json(body))", "to_string(headers)", "max_by(powertools_json(body).items, &qty).sku",
    "min_by(powertools_json(body).items, &price)", "sum(powertools_json(body).items[*].qty)",
    "sum(powertools_json(body).items[*].price)", "avg(powertools_json(body).items[*].qty)",
    "powertools_json(body).items[*].price | sort(@)", "max(powertools_json(body).items[*].price)",
    "min(powertools_json(body).items[*].sku)", "keys(headers)", "values(headers)", "headers.*",
    "*", "multiValueHeaders.*[0]", "multiValueHeaders.*[]", "not_null(missing, headers.Host)",
    "type(body)", "to_number(powertools_json(body).amount_str)", "to_number(powertools_json(body).amount)",
    "contains(keys(headers), 'Host')", "starts_with(path, '/orders')", "ends_with(path, '1')",
    "join('-', [httpMethod, path])", "reverse(path)", "merge(headers, {extra: 'x'}, `{\"Host\": 1}`)",
    "map(&sku, powertools_json(body).items)", "map(&missing, powertools_json(body).items)",
    "powertools_json(body).nested", "powertools_json(body).note", "length(powertools_json(body).note)",
    "reverse(powertools_json(body).note)", "powertools_json(body).items[?sku == 'A-1'] | [0].price",
    "powertools_json(body).order_id == `12345678901234567890`",
    "powertools_json(body).order_id > `12345678901234567889`", "powertools_json(body).amount == `10.5`",
    "powertools_json(body).items[?qty == `2.0`].sku", "requestContext.requestTimeEpoch",
    "requestContext.identity", "requestContext.[stage, apiId]", "@", "@.path",
    "path[0:3]", "stageVariables", "requestContext.identity.cognitoIdentityId",
    "isBase64Encoded", "`0`", "`false`", "`[]`", "`{}`", "''", "'a'", "`[null]`", "`[0]`",
    "[missing, missing2]", "{a: missing}", "{a: missing, b: path}", "`[null, 1]`", "`\"\"`",
    "powertools_json(body).nested.a[2]", "!missing", "!path", "missing || path", "path && httpMethod",
    "`1` == `true`", "[`1`] == [`true`]", "`0` == `false`", "contains([`1`], `true`)",
    "`1` == `1.0`", "`{\"a\": 1}` == `{\"a\": 1.0}`", "'b' > 'a'", "'\u00e9' < 'z'", "`1` < 'a'",
    "to_number('1_000')", "to_number(' 42 ')", "to_number('1e3')", "to_number('nan')",
    "to_number('abc')", "to_number('\u0663')", "to_number('0x10')", "to_number('-0')",
    "to_number('1.5')", "to_number('inf')", "sum([`1`, `2.5`])", "abs(`-12345678901234567890`)",
    "ceil(`1e300`)", "floor(`-0.5`)", "ceil(`2`)", "abs(`-2.5`)", "length('\U0001F600a')",
    "reverse('a\U0001F600b')", "`foo`", "'a\\\\b'", "'it\\'s'", "`\"\\u00e9\"`", "to_string(`1.0`)",
    "to_string(`[1e16, -0.0, \"\u00e9\"]`)", "to_array(path)", "to_array(`[1]`)", "type(`1.5`)",
    "powertools_json(body).items[?price > `10`].sku | sort(@)", "powertools_json(body).items[].sku",
    "powertools_json(body).items[*].[sku, qty]", "powertools_json(body).items[*].{s: sku}",
    "headers | keys(@) | sort(@) | [0]",
]
KEY_EXPRESSIONS_ERRORS = [
    "powertools_json(headers)", "powertools_json(missing)", "powertools_json(path)", "powertools_base64(path)",
    "powertools_base64_gzip(body)", "length(`1`)", "sort_by(powertools_json(body).items, &nested)",
    "max([`1`, 'a'])", "`1` < 'a' || to_string(&foo)", "to_string(&foo)", "abs(path)",
    "powertools_json(body).items[::0]", "unknown_fn(path)", "length(path, path)", "a + b", "$.path",
    "let $x = path in $x", "foo(", "foo[", "'unterminated", "contains(path, `1`)",
    "min_by(`[{\"a\": 1}, {\"a\": \"x\"}]`, &a)", "sum(`[1e308, 1e308]`)",
    "avg(`[1, 2]`) == `1.5`", "ceil(to_number('inf'))",
]
BASE64_CASES = [
    ("aGVsbG8=", None), ("aGVsbG8", None), ("aGVs bG8=", None), ("aGVsbG8=garbage", None), ("/w==", None),
    ("", None), ("Zm9v=YmFy", None), ("Zm9vYg==", None), ("Z", None), ("Zm9vYmFy", None),
    ("aGVs\nbG8=", None), ("aGVsbG8-_", None), ("=aGVsbG8=", None), ("aGVsbA==", None),
    (b64('{"order_id": 1}'), "powertools_json(powertools_base64(v)).order_id"),
    (b64gzip("hello gzip \u00e9"), "gzip"), (b64gzip(""), "gzip"),
    (base64.b64encode(gzip.compress(b"ab", mtime=0) + b"\x00\x00" + gzip.compress(b"cd", mtime=0)).decode(), "gzip"),
    (base64.b64encode(gzip.compress(b"ab", mtime=0)[:-3]).decode(), "gzip"), ("aGVsbG8=", "gzip"),
    (base64.b64encode(gzip.compress(b"\xff", mtime=0)).decode(), "gzip"),
]


RANDOM_EXPRESSIONS = [
    "*", "[*]", "@[0]", "@[-1]", "sort(@)", "length(@)", "[?@ > `0`]", "[?@ < 'm']", "max(@)", "min(@)",
    "to_string(@)", "sort_by(@, &@)", "contains(@, `1`)", "[?@ == `1`]", "[]", "not_null(@[0], @)", "type(@)",
    "reverse(@)", "keys(@)", "values(@)", "merge(@, `{}`)", "abs(@[0])", "sum(@)", "avg(@)", "to_number(@[0])",
    "ceil(@[0])", "floor(@[0])", "@[1:]", "@[::-2]", "[?!@]", "[?@]", "@[0] == @[1]", "@[0] < @[1]",
    "map(&to_string(@), @)", "max_by(@, &@)", "min_by(@, &length(to_string(@)))", "[0][0]", "@.*",
    "to_array(@)", "length(to_string(@))", "join(',', @)", "[?type(@) == 'number'] | sort(@)",
    "[?type(@) == 'string'] | sort(@) | reverse(@)", "@[?contains(keys(@), 'a')]", "@[*].*",
]


def random_json(rng: random.Random, depth: int = 0) -> str:
    """A random JSON text with tricky strings, numbers, order and spacing."""
    ws = lambda: rng.choice(["", "", " ", "\n", "\t ", "\r\n"])  # noqa: E731
    choice = rng.randrange(10 if depth < 4 else 6)
    if choice == 0:
        return rng.choice(["null", "true", "false"])
    if choice == 1:
        return rng.choice(["0", "-0", "1", "-17", "4294967296", "18446744073709551616", "-9223372036854775809"])
    if choice == 2:
        mant = rng.choice(["0", "1", "12", "123456789", "5", "99999999999999999"])
        frac = rng.choice(["", ".0", ".5", ".25", ".000001", ".1234567890123456789"])
        exp = rng.choice(["", "", "e0", "E+3", "e-7", "e16", "e-5", "e308", "e-320", "E400"])
        return rng.choice(["", "-"]) + mant + frac + exp
    if choice in (3, 4, 5):
        return random_string(rng)
    if choice in (6, 7):
        return "[" + ws() + ",".join(ws() + random_json(rng, depth + 1) + ws() for _ in range(rng.randrange(4))) + "]"
    keys = [random_string(rng) for _ in range(rng.randrange(5))]
    if keys and rng.random() < 0.3:
        keys.append(rng.choice(keys))  # duplicate key
    return "{" + ",".join(ws() + k + ws() + ":" + ws() + random_json(rng, depth + 1) for k in keys) + "}"


def random_string(rng: random.Random) -> str:
    pieces = ["a", "B", "z", "_", "0", " ", "\u00e9", "\u65e5", "\U0001F600", "\uff61", "\\n", "\\t", "\\u0000",
              "\\u001f", "\\\"", "\\\\", "\\/", "\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u00e9", "\x7f",
              "\\u2028", "\u0300", "\U0010FFFF"]
    return '"' + "".join(rng.choice(pieces) for _ in range(rng.randrange(6))) + '"'


def build_cases():
    cases = []

    def add(name, event, key=None, validation=None, hash_function="md5", prefix="golden", function_name=None):
        raw = event if isinstance(event, bytes) else event.encode("utf-8", "surrogatepass")
        case = {"name": name, "key_jmespath": key or "", "validation_jmespath": validation or "",
                "hash_function": hash_function}
        shared = [ref for ref, text in SHARED_EVENTS.items() if text == event]
        if shared:
            case["event_ref"] = shared[0]
        else:
            try:
                case["event"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                case["event_b64"] = base64.b64encode(raw).decode()
        case.update(derive(raw, key, validation, hash_function, prefix, function_name))
        cases.append(case)

    for i, ev in enumerate(CANONICAL_EVENTS):
        add(f"canonical/{i:03d}", ev)
    for i, ev in enumerate(RAW_EVENTS):
        add(f"raw-bytes/{i}", ev)
    for h in HASHES:
        add(f"hash/{h}/whole", APIGW, hash_function=h)
        add(f"hash/{h}/order", APIGW, key="powertools_json(body).order_id", hash_function=h)
    for bad in ["md4", "sha256 ", "SHA256", "shake_128x"]:
        add(f"hash/invalid/{bad}", APIGW, hash_function=bad)
    for i, expr in enumerate(KEY_EXPRESSIONS_APIGW):
        add(f"apigw/{i:03d}", APIGW, key=expr)
    for i, expr in enumerate(KEY_EXPRESSIONS_ERRORS):
        add(f"errors/{i:03d}", APIGW, key=expr)
    add("apigw-b64/order", APIGW_B64, key="powertools_json(powertools_base64(body)).order_id")
    add("apigw-b64/body", APIGW_B64, key="powertools_base64(body)")
    add("bom/powertools_json", json.dumps({"body": "\ufeff{}"}), key="powertools_json(body)")
    add("bom/powertools_json-ws", json.dumps({"body": " {\"a\": 1} "}), key="powertools_json(body)")
    add("divergence/nan-in-body", json.dumps({"body": "[NaN, Infinity]"}), key="powertools_json(body)")
    add("cwlogs/data", CW_LOGS, key="powertools_base64_gzip(awslogs.data)")
    add("cwlogs/id", CW_LOGS, key="powertools_json(powertools_base64_gzip(awslogs.data)).logEvents[0].id")
    for i, (data, mode) in enumerate(BASE64_CASES):
        event = json.dumps({"v": data})
        if mode == "gzip":
            add(f"base64/gzip/{i:02d}", event, key="powertools_base64_gzip(v)")
        else:
            add(f"base64/{i:02d}", event, key=mode or "powertools_base64(v)")
    for i, expr in enumerate(["Records[0].messageId", "Records[*].messageId", "Records[0].body",
                              "powertools_json(Records[0].body).id", "Records[0].messageAttributes.*.stringValue",
                              "Records[].messageId | [1]", "Records[*].attributes.SentTimestamp | [0]",
                              "powertools_json(Records[1].body)", "Records[?messageId > 'a'].messageId",
                              "Records[?attributes.ApproximateReceiveCount == '1'] | length(@)"]):
        add(f"sqs/{i:02d}", SQS, key=expr)
    for i, (key, validation) in enumerate([
        ("requestContext.requestId", "powertools_json(body).amount"),
        ("requestContext.requestId", "body"),
        ("requestContext.requestId", "[httpMethod, powertools_json(body).user_id]"),
        ("requestContext.requestId", "missing"),
        ("requestContext.requestId", "powertools_json(path)"),
        ("missing", "powertools_json(path)"),
        ("missing", "body"),
        ("", "headers"),
        ("powertools_json(body).order_id", "powertools_json(body).items[*].price"),
        ("requestContext.requestId", "a + b"),
        ("requestContext.requestId", "to_string(powertools_json(body).nested)"),
    ]):
        add(f"validation/{i:02d}", APIGW, key=key, validation=validation)
        add(f"validation/{i:02d}/sha256", APIGW, key=key, validation=validation, hash_function="sha256")
    add("prefix/empty-uses-default", APIGW, key="requestContext.requestId", prefix=None,
        function_name="app.lambda_handler")
    add("prefix/default-no-function", APIGW, key="requestContext.requestId", prefix=None)
    add("prefix/unicode", APIGW, key="requestContext.requestId", prefix="fn-\u00fc#x")
    add("docs/payment", json.dumps({"body": '{"user_id":"xyz","product_id":"123456789"}'}),
        key='powertools_json(body).["user_id", "product_id"]', prefix="payments")
    add("docs/whole", '{"user_id":"xyz","product_id":"123456789"}', prefix="payment-fn.app.lambda_handler")
    add("docs/whole-sha256", '{"user_id":"xyz","product_id":"123456789"}', hash_function="sha256")

    rng = random.Random(20240602)
    for i in range(120):
        doc = "[" + ",".join(random_json(rng, 3) for _ in range(rng.randrange(1, 5))) + "]"
        if i % 4 == 0:
            doc = random_json(rng, 2)
        for expr in rng.sample(RANDOM_EXPRESSIONS, 2):
            add(f"random-expr/{i:03d}/{expr}", doc, key=expr)

    rng = random.Random(20240601)
    for i in range(100):
        doc = random_json(rng)
        add(f"random/{i:03d}/whole", doc)
        if i % 3 == 0:
            add(f"random/{i:03d}/to_string", doc, key="to_string(@)")
        if i % 5 == 0:
            add(f"random/{i:03d}/values", doc, key="values(@)", validation="keys(@)")
    return cases


def float_cases():
    """Float texts and their repr, the float formatting of json.dumps."""
    rng = random.Random(7)
    out = []
    for _ in range(300):
        bits = rng.getrandbits(64)
        f = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if f != f or f in (float("inf"), float("-inf")):
            continue
        out.append([repr(f), json.dumps(f)])
    for _ in range(300):
        text = f"{rng.choice(['', '-'])}{rng.randrange(10**rng.randrange(1, 20))}.{rng.randrange(10**6)}e{rng.randrange(-330, 330)}"
        out.append([text, json.dumps(float(text))])
    for e in range(-8, 24):
        for text in (f"1e{e}", f"1.5e{e}", f"123456789e{e}"):
            out.append([text, json.dumps(float(text))])
    return out


def string_cases():
    """Strings (as JSON text with escapes only) and json.dumps output."""
    rng = random.Random(11)
    pools = [(0, 0x80), (0x80, 0x800), (0x800, 0x10000), (0x10000, 0x110000), (0xD800, 0xE000)]
    out = []
    for _ in range(200):
        chars = []
        for _ in range(rng.randrange(1, 8)):
            lo, hi = rng.choice(pools)
            chars.append(chr(rng.randrange(lo, hi)))
        s = "".join(chars)
        # raw UTF-8 input where possible, \\u escapes where lone surrogates need them
        has_surrogate = any(0xD800 <= ord(c) < 0xE000 for c in s)
        text = json.dumps(s, ensure_ascii=has_surrogate)
        out.append([text, json.dumps(json.loads(text), sort_keys=True)])
    return out


def main():
    cases = build_cases()
    doc = {
        "events": SHARED_EVENTS,
        "floats": float_cases(),
        "strings": string_cases(),
        "generator": "idempotency/testdata/gen_golden.py",
        "powertools_version": POWERTOOLS_VERSION,
        "python_version": sys.version.split()[0],
        "jmespath_version": jmespath.__version__,
        "cases": cases,
    }
    with open(OUT, "w", encoding="ascii") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=True)
        fh.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
