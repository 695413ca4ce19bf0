"""The installation's signing key (Ed25519): it signs every audit anchor and checkpoint.

A hash chain alone proves only that the lines agree with each other: whoever can edit the
file can recompute every hash. The anchors in the management database and the checkpoints
an auditor keeps are signed with this key, so rewriting a chain consistently also needs
the private key, and a checkpoint kept outside the installation holds even against that.

The private key lives in ``RENKEI_KEY_DIR`` (default ``var/keys/`` of the checkout), file
mode 0600; it is created by ``renkei audit key init`` or on first need, with a log line.
Auditors get the public key and its fingerprint from ``renkei audit key show``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from loguru import logger

from bots.config import default_data_dir
from bots.errors import RenkeiError

PRIVATE_NAME = "audit-ed25519.pem"
PUBLIC_NAME = "audit-ed25519.pub.pem"

_lock = threading.Lock()


class AuditKeyError(RenkeiError):
    """The key file cannot be read or written; the message names the file."""


def key_dir() -> Path:
    """``RENKEI_KEY_DIR``, else ``var/keys`` beside the database and run folders."""
    configured = os.environ.get("RENKEI_KEY_DIR", "").strip()
    return Path(configured) if configured else default_data_dir() / "keys"


def fingerprint(public: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: short enough to read out, unique enough to trust."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError("公開鍵が Ed25519 の鍵ではありません")
    return key


def verify_signature(public: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        public.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class InstallationKey:
    """The private key and what is derived from it."""

    private: Ed25519PrivateKey
    path: Path

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return fingerprint(self.public)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def init_key(directory: Path | None = None) -> tuple[InstallationKey, bool]:
    """The key of ``directory`` (created if missing): (key, whether it was created now).

    Idempotent: an existing key is loaded, never replaced.
    """
    directory = directory or key_dir()
    path = directory / PRIVATE_NAME
    with _lock:
        if path.exists():
            return _load(path), False
        try:
            directory.mkdir(parents=True, exist_ok=True)
            private = Ed25519PrivateKey.generate()
            pem = private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            (directory / PUBLIC_NAME).write_text(public_pem(private.public_key()), "ascii")
        except FileExistsError:  # another process created it meanwhile: use theirs
            return _load(path), False
        except OSError as exc:
            raise AuditKeyError(f"署名鍵 {path} を作成できません: {exc.strerror or exc}") from None
    key = InstallationKey(private, path)
    logger.warning("監査記録の署名鍵を作成しました: {}（指紋 {}）", path, key.key_id)
    return key, True


def load_key(directory: Path | None = None) -> InstallationKey:
    """The installation's key, created on first need."""
    return init_key(directory)[0]


def _load(path: Path) -> InstallationKey:
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise AuditKeyError(f"署名鍵 {path} を読み込めません: {exc}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise AuditKeyError(f"署名鍵 {path} が Ed25519 の鍵ではありません")
    return InstallationKey(private, path)
