"""What a problem+json reply tells its caller."""

from __future__ import annotations


def without_instance(reply) -> dict:
    """A problem+json body without its `instance` (the request's own path)."""
    body = reply.json()
    body.pop("instance", None)
    return body


def anonymous(reply, names: dict[str, str]) -> str:
    """The problem without its `instance`, each id it names (a key of `names`) replaced by its name:
    what an outsider learns, to compare with the answer for an unknown id."""
    import json

    text = json.dumps(without_instance(reply), ensure_ascii=False, sort_keys=True)
    for value, name in names.items():
        text = text.replace(value, name)
    return text
