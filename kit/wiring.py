"""A service's consumers, wired from the flow map (contracts.flow).

Each subscribers module offers its handlers by durable name (`offer(__name__, {...})`); a service's
subscriptions are built from the map's entries for it, and it refuses to start when what its modules
offer is not exactly its consumers in the map, each offered by the module the map names. So the map
cannot drift from the code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from contracts.flow import BY_DURABLE, consumers_of
from kit.bus import Handler, Subscription


@dataclass(frozen=True)
class WholeBatch:
    """A pure projection that emits nothing, handed a whole batch in one call (Subscription.whole_batch)."""

    handle: Handler


Offered = Handler | WholeBatch


@dataclass(frozen=True)
class Projection:
    """A read model `wushe rebuild` can replay from its stream (deploy/rebuild.py): the consumer (its
    durable in contracts/flow.py, offered as a WholeBatch) and every table its handler writes."""

    durable: str
    tables: tuple[str, ...]
    about: str = ""


class WiringError(RuntimeError):
    """The handlers offered do not match the flow map."""


def offer(module: str, handlers: Mapping[str, Offered]) -> dict[str, Offered]:
    """A subscribers module's handlers, by durable; each must be in the map, under this module."""
    for durable in handlers:
        consumer = BY_DURABLE.get(durable)
        if consumer is None:
            raise WiringError(f"{module}: {durable} is not in contracts/flow.py")
        if consumer.module != module:
            raise WiringError(f"{module}: contracts/flow.py wires {durable} from {consumer.module}")
    return dict(handlers)


def subscriptions(service: str, offered: Iterable[Mapping[str, Offered]], max_deliver: int) -> list[Subscription]:
    """Every consumer of `service` in the map, with its offered handler."""
    handlers: dict[str, Offered] = {}
    for part in offered:
        handlers.update(part)
    declared = [c.durable for c in consumers_of(service)]
    missing, unknown = set(declared) - set(handlers), set(handlers) - set(declared)
    if missing or unknown:
        raise WiringError(f"{service}: no handler for {sorted(missing)}; not its consumers: {sorted(unknown)}")
    return [subscription(durable, handlers[durable], max_deliver) for durable in declared]


def subscription(durable: str, offered: Offered, max_deliver: int) -> Subscription:
    """One consumer of the map with its handler (tests run a single consumer this way)."""
    consumer = BY_DURABLE[durable]
    if isinstance(offered, WholeBatch):
        return Subscription(
            durable=durable, event=consumer.event, handle=offered.handle, max_deliver=max_deliver, whole_batch=True
        )
    return Subscription(durable=durable, event=consumer.event, handle=offered, max_deliver=max_deliver)
