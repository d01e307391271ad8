"""Field-level encryption of sensitive personal information (AES-256-GCM) and pseudonyms.

Ciphertexts carry their key id (`<kid>:<nonce><ct>`), so keys can rotate: new writes use the
active key, old rows stay readable with the key they were written with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def field_context(*scope: object) -> bytes:
    """Associated data that binds a ciphertext to its record and field (`needs/<id>/phone`): a
    ciphertext copied to another record or field does not decrypt. Every service names its own
    `pii_context(record_id, field)` with it."""
    return "/".join(str(part) for part in scope).encode()


@dataclass(frozen=True)
class Keyring:
    active: str
    keys: dict[str, bytes]
    pseudonym_key: bytes

    def encrypt(self, plaintext: str, context: bytes = b"") -> bytes:
        """`context` (e.g. the record id and field) is bound as associated data, so a
        ciphertext copied into another row or field does not decrypt."""
        nonce = os.urandom(12)
        return (
            self.active.encode()
            + b":"
            + nonce
            + AESGCM(self.keys[self.active]).encrypt(nonce, plaintext.encode(), context)
        )

    def decrypt(self, blob: bytes, context: bytes = b"") -> str:
        kid, _, rest = bytes(blob).partition(b":")
        return AESGCM(self.keys[kid.decode()]).decrypt(rest[:12], rest[12:], context).decode()

    def pseudonym(self, value: str, purpose: str) -> str:
        """A stable keyed hash: the same person gets the same ref, the ref reveals nothing."""
        return keyed_pseudonym(self.pseudonym_key, value, purpose)


def keyed_pseudonym(key: bytes, value: str, purpose: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:24]


def ensure_secret(path: Path) -> bytes:
    """A 32-byte random secret kept in `path` (mode 0600), created on first call."""
    if not path.exists():
        write_private(path, _b64(os.urandom(32)))
    return base64.b64decode(path.read_text())


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically, readable by its owner only from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an older temporary file keeps its mode otherwise
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    temporary.replace(path)


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def ensure_keyring(path: Path) -> Keyring:
    """Load the keyring, creating it (one random key, mode 0600) on first run."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"active": "k1", "keys": {"k1": _b64(AESGCM.generate_key(256))}, "pseudonym_key": _b64(os.urandom(32))}
        path.write_text(json.dumps(data, indent=2))
        path.chmod(0o600)
    return load_keyring(path)


def load_keyring(path: Path) -> Keyring:
    data = json.loads(path.read_text())
    return Keyring(
        active=data["active"],
        keys={kid: base64.b64decode(k) for kid, k in data["keys"].items()},
        pseudonym_key=base64.b64decode(data["pseudonym_key"]),
    )


def rotate_keyring(path: Path) -> str:
    """Add a fresh key and make it the active one; older keys stay to read older ciphertexts.
    Restart the services to load it, then re-encrypt (`wushe reencrypt`) to retire old keys."""
    data = json.loads(path.read_text())
    kid = f"k{max(int(k[1:]) for k in data['keys']) + 1}"
    data["keys"][kid] = _b64(AESGCM.generate_key(256))
    data["active"] = kid
    path.write_text(json.dumps(data, indent=2))
    return kid
