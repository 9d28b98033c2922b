"""itsdangerous' signing, with what depends only on the secret made once: the signer of each salt and
the key derived from each secret. itsdangerous makes a signer for every signature and derives its key
again (an HMAC of the secret) each time; the session cookie is signed and checked
on most requests. The HMAC itself is computed in one call into OpenSSL (`hmac.digest`) instead of
through the hmac module's Python object (some 35 calls a signature): the same bytes."""

from __future__ import annotations

import hmac
from typing import Any

from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm


class OneCallHMAC(HMACAlgorithm):
    """itsdangerous' HMAC signature, computed by `hmac.digest` with the digest's name."""

    def __init__(self, digest_method: Any = None) -> None:
        super().__init__(digest_method)
        self.digest_name: str = self.digest_method().name

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_name)


class KeyKeptSigner(TimestampSigner):
    """itsdangerous' signer, deriving the key from each secret once instead of for every signature."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[str | bytes | None, bytes] = {}
        if type(self.algorithm) is HMACAlgorithm:
            self.algorithm = OneCallHMAC(self.digest_method)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        derived = self._derived.get(secret_key)
        if derived is None:
            derived = self._derived.setdefault(secret_key, super().derive_key(secret_key))
        return derived


class SignerKeptSerializer(URLSafeTimedSerializer):
    """itsdangerous' serializer keeping its signer (one per salt) instead of making one per value."""

    default_signer = KeyKeptSigner

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._made: dict[str | bytes | None, Signer] = {}

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        made = self._made.get(salt)
        if made is None:
            made = self._made.setdefault(salt, super().make_signer(salt))
        return made
