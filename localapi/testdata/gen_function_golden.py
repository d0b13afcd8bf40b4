#!/usr/bin/env python3
"""Generate function_golden.json: keys derived by Powertools' idempotent_function.

Run from the repository root:

    .venv/bin/python localapi/testdata/gen_function_golden.py [OUT]

Every case decorates a function with the real
aws_lambda_powertools.utilities.idempotency.idempotent_function (a capturing
persistence layer records the DataRecord Powertools writes), calls it with
some data, and stores next to the key and payload hash Powertools computed the
JSON a local API caller sends for that data, made with the recipes the README
documents (json.dumps of the dict, of dataclasses.asdict(...), or a pydantic
model's model_dump_json()). The output is deterministic.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import os
import sys
import warnings

os.environ["AWS_LAMBDA_FUNCTION_NAME"] = "golden-fn"
os.environ.pop("POWERTOOLS_IDEMPOTENCY_DISABLED", None)

import pydantic  # noqa: E402
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION  # noqa: E402
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function  # noqa: E402
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "function_golden.json")


class Capture(BasePersistenceLayer):
    """Records what Powertools writes; never finds an existing record."""

    def __init__(self):
        super().__init__()
        self.puts = []

    def _get_record(self, idempotency_key):
        raise NotImplementedError

    def _put_record(self, data_record):
        self.puts.append(data_record)

    def _update_record(self, data_record):
        pass

    def _delete_record(self, data_record):
        pass


@dataclasses.dataclass
class Item:
    sku: str
    qty: int
    price: float


@dataclasses.dataclass
class Order:
    order_id: str
    customer: str
    items: list
    note: str | None = None


class PydItem(pydantic.BaseModel):
    sku: str
    qty: int


class PydOrder(pydantic.BaseModel):
    order_id: str
    amount: float
    items: list[PydItem]
    tags: dict[str, str] = {}


SQS_RECORD = {
    "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
    "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
    "body": '{"orderId": "A-1", "amount": 12.5, "note": "caf\\u00e9"}',
    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183"},
    "messageAttributes": {},
    "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
    "eventSource": "aws:sqs",
    "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
    "awsRegion": "us-east-2",
}

PLAIN = {"order_id": 12345678901234567890, "customer": "zoë ✓ 日本", "amount": 10.50, "qty": 3,
         "flags": [True, False, None], "ratio": 0.1, "big": 1e100, "nested": {"b": 2, "a": [1, 2.0, "x"]}}

# (name, module, qualname, key_prefix, event_key_jmespath, payload_validation_jmespath, hash_function, data, wire)
# wire turns data into the JSON a caller sends.
dumps = json.dumps
CASES = [
    ("dict whole", "app", "process_order", None, "", "", "md5", PLAIN, dumps),
    ("dict key", "app", "process_order", None, "order_id", "", "md5", PLAIN, dumps),
    ("dict multiselect", "app", "process_order", None, "[customer, order_id]", "amount", "md5", PLAIN, dumps),
    ("dict object select", "orders.handlers", "Processor.handle", None, "{c: customer, n: nested}", "nested", "md5", PLAIN, dumps),
    ("compact wire", "app", "process_order", None, "", "", "md5", PLAIN, lambda d: json.dumps(d, separators=(",", ":"), ensure_ascii=False)),
    ("sha256", "app", "process_order", None, "order_id", "", "sha256", PLAIN, dumps),
    ("custom prefix", "app", "process_order", "payments", "order_id", "", "md5", PLAIN, dumps),
    ("sqs record messageId", "app", "record_handler", None, "messageId", "", "md5", SQS_RECORD, dumps),
    ("sqs record body", "app", "record_handler", None, "powertools_json(body).orderId", "powertools_json(body).amount", "md5", SQS_RECORD, dumps),
    ("sqs record whole", "app", "record_handler", None, "", "", "md5", SQS_RECORD, dumps),
    ("string", "app", "charge", None, "", "", "md5", "payment-42", dumps),
    ("integer", "app", "charge", None, "", "", "md5", 42, dumps),
    ("float", "app", "charge", None, "", "", "md5", 42.0, dumps),
    ("list", "app", "charge", None, "", "", "md5", ["a", 1, None, {"z": 1, "y": [2]}], dumps),
    ("zero", "app", "charge", None, "", "", "md5", 0, dumps),
    ("dataclass", "app", "process_order", None, "", "", "md5",
     Order("o-1", "c-9", [Item("A-1", 2, 9.99), Item("B-2", 1, 12.0)], None), lambda d: json.dumps(dataclasses.asdict(d))),
    ("dataclass key", "app", "process_order", None, "items[*].sku", "", "md5",
     Order("o-1", "c-9", [Item("A-1", 2, 9.99), Item("B-2", 1, 12.0)], "rush"), lambda d: json.dumps(dataclasses.asdict(d))),
    ("pydantic", "app", "process_order", None, "", "", "md5",
     PydOrder(order_id="o-2", amount=5, items=[PydItem(sku="é", qty=1)], tags={"b": "2", "a": "1"}), lambda d: d.model_dump_json()),
    ("pydantic key", "app", "process_order", None, "order_id", "amount", "md5",
     PydOrder(order_id="o-2", amount=5.25, items=[]), lambda d: d.model_dump_json()),
    ("decimal as string", "app", "charge", None, "amount", "", "md5",
     {"amount": decimal.Decimal("12.50")}, lambda d: json.dumps(d, default=str)),
    ("missing key", "app", "charge", None, "nope", "", "md5", PLAIN, dumps),
    ("null data", "app", "charge", None, "", "", "md5", None, dumps),
    ("empty dict", "app", "charge", None, "", "", "md5", {}, dumps),
]


def run(case):
    name, module, qualname, prefix, key_expr, validation, hash_fn, data, wire = case
    layer = Capture()
    config = IdempotencyConfig(event_key_jmespath=key_expr, payload_validation_jmespath=validation, hash_function=hash_fn)

    def fn(data):
        return {"ok": True}

    fn.__module__, fn.__qualname__ = module, qualname
    decorated = idempotent_function(data_keyword_argument="data", persistence_store=layer, config=config, key_prefix=prefix)(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        decorated(data=data)
    out = {"name": name, "function": f"{module}.{qualname}", "hashFunction": hash_fn, "data": wire(data)}
    if prefix:
        out["keyPrefix"] = prefix
    if key_expr:
        out["eventKeyJmespath"] = key_expr
    if validation:
        out["payloadValidationJmespath"] = validation
    if not layer.puts:  # no key: Powertools ran the function without a record
        out["missing"] = True
        return out
    rec = layer.puts[0]
    out["key"] = rec.idempotency_key
    out["payloadHash"] = rec.payload_hash or ""
    return out


def main():
    doc = {
        "generator": "localapi/testdata/gen_function_golden.py",
        "powertools": POWERTOOLS_VERSION,
        "python": sys.version.split()[0],
        "functionName": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "cases": [run(c) for c in CASES],
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
