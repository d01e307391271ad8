"""A portal's side of work orders, for the tests: a CloudEvent in structured mode, signed with the
`standardwebhooks` library as a portal would sign it."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import orjson
from standardwebhooks.webhooks import Webhook

from contracts.api.needs import WORK_ORDER_TYPE

SOURCE = "urn:hebei:12345:test"


def structured(data, source: str = SOURCE, **attributes) -> tuple[bytes, dict]:
    event = {
        "specversion": "1.0",
        "id": f"ce-{os.urandom(4).hex()}",
        "source": source,
        "type": WORK_ORDER_TYPE,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": data,
        **attributes,
    }
    return orjson.dumps(event), {"content-type": "application/cloudevents+json"}


def signed(secret: str, body: bytes, headers: dict, at: datetime | None = None, msg_id: str | None = None) -> dict:
    msg_id = msg_id or f"msg_{os.urandom(6).hex()}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, body.decode())
    return {
        **headers,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
