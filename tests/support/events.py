"""Publishing an event from a test as a service's relay would: on its subject, deduplicated by its id."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.subjects import event_subject


async def publish(js, envelope: Envelope) -> int:
    """The stream sequence the envelope got (a redelivery under the same id is dropped by JetStream)."""
    ack = await js.publish(
        event_subject(type(envelope.data), envelope.area_code),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(envelope.id)},
    )
    return ack.seq
