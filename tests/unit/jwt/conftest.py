"""Fixtures for the JWT adapter: real keys, a real JWKS over HTTP, token builders."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jose import jws, jwt
from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyECKey, CryptographyRSAKey

from todo_adapters.jwt import Ed25519Key, RsaPssKey, register_eddsa, register_ps256

SECRET = "0123456789abcdef0123456789abcdef"  # exactly 32 bytes
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
#: Every JWKS algorithm the verifier accepts (Better Auth's jwt plugin offers them all).
JWKS_ALGORITHMS = ("EdDSA", "ES256", "ES512", "RS256", "PS256")
#: EC curve of each ECDSA algorithm: (cryptography curve, JWK name, coordinate bytes).
EC_CURVES: dict[str, tuple[ec.EllipticCurve, str, int]] = {
    "ES256": (ec.SECP256R1(), "P-256", 32),
    "ES512": (ec.SECP521R1(), "P-521", 66),
}


def b64url(raw: bytes) -> str:
    """Unpadded base64url, as in a compact JWS."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _uint(value: int, length: int | None = None) -> str:
    size = length if length is not None else (value.bit_length() + 7) // 8
    return b64url(value.to_bytes(size, "big"))


@dataclass(frozen=True)
class SigningKey:
    """A freshly generated key pair with the kid and alg the JWKS announces."""

    kid: str
    alg: str
    private: PrivateKey

    def jose_key(self) -> Key:
        """The private key as a python-jose key, for signing."""
        if self.alg == "EdDSA":
            return Ed25519Key(self.private, "EdDSA")
        if self.alg in EC_CURVES:
            return CryptographyECKey(self.private, self.alg)
        if self.alg == "PS256":
            return RsaPssKey(self.private, "PS256")
        return CryptographyRSAKey(self.private, "RS256")

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK as a JWKS would publish it."""
        public = self.private.public_key()
        if isinstance(public, ed25519.Ed25519PublicKey):
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            body: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        elif isinstance(public, ec.EllipticCurvePublicKey):
            numbers = public.public_numbers()
            _, crv, size = EC_CURVES[self.alg]
            body = {
                "kty": "EC",
                "crv": crv,
                "x": _uint(numbers.x, size),
                "y": _uint(numbers.y, size),
            }
        else:
            assert isinstance(public, rsa.RSAPublicKey)
            rsa_numbers = public.public_numbers()
            body = {"kty": "RSA", "n": _uint(rsa_numbers.n), "e": _uint(rsa_numbers.e)}
        return {**body, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        """The public key as PEM, the classic HS256-confusion secret."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(
        self,
        claims: dict[str, Any] | bytes,
        *,
        headers: dict[str, Any] | None = None,
        kid: str | None = "",
    ) -> str:
        """Sign ``claims`` (a dict or raw payload bytes); default kid, ``None`` omits it."""
        all_headers = dict(headers or {})
        if kid is not None:
            all_headers.setdefault("kid", kid or self.kid)
        if isinstance(claims, bytes):
            return jws.sign(claims, self.jose_key(), headers=all_headers, algorithm=self.alg)
        return jwt.encode(claims, self.jose_key(), algorithm=self.alg, headers=all_headers)


def generate_key(alg: str, kid: str) -> SigningKey:
    """A new key of the kind ``alg`` needs."""
    private: PrivateKey
    if alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    elif alg in EC_CURVES:
        private = ec.generate_private_key(EC_CURVES[alg][0])
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid=kid, alg=alg, private=private)


def _raw_token(
    header: dict[str, Any], payload: dict[str, Any] | bytes, signer: Callable[[bytes], bytes]
) -> str:
    """Assemble a compact JWS by hand, for tokens python-jose refuses to make."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(body)}".encode()
    return f"{signing_input.decode()}.{b64url(signer(signing_input))}"


def _hmac_sha256(secret: bytes) -> Callable[[bytes], bytes]:
    """An HS256 signer for ``raw_token`` that accepts any bytes as the secret."""
    return lambda message: hmac.new(secret, message, hashlib.sha256).digest()


def claims(**overrides: Any) -> dict[str, Any]:
    """Claims of a token valid for five minutes; ``None`` removes a claim."""
    now = int(time.time())
    base: dict[str, Any] = {"sub": "user-1", "iat": now, "exp": now + 300}
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def _sign_hs256(payload: dict[str, Any] | bytes, *, secret: str = SECRET, **headers: Any) -> str:
    """An HS256 token signed with ``secret`` (the shared secret by default)."""
    if isinstance(payload, bytes):
        return jws.sign(payload, secret, headers=headers or None, algorithm="HS256")
    return jwt.encode(payload, secret, algorithm="HS256", headers=headers or None)


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class JwksState:
    """What the JWKS server answers, and how often it was asked."""

    document: Any = field(default_factory=lambda: {"keys": []})
    mode: str = "ok"  # ok | status | bad_json | drop | slow
    status: int = 500
    delay_seconds: float = 0.0
    fetches: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class JwksServer:
    """A real HTTP server on 127.0.0.1 serving a JWKS from a thread."""

    def __init__(self) -> None:
        self.state = JwksState()
        self._server = _QuietServer(self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        self._running = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}/api/auth/jwks"

    @property
    def fetches(self) -> int:
        """How many requests reached the server."""
        with self.state.lock:
            return self.state.fetches

    def serve(self, *keys: SigningKey) -> None:
        """Publish exactly these public keys (and answer normally again)."""
        self.state.document = {"keys": [key.public_jwk() for key in keys]}
        self.state.mode = "ok"

    def serve_document(self, document: Any) -> None:
        """Publish any JSON document as the key set."""
        self.state.document = document
        self.state.mode = "ok"

    def fail(self, mode: str, *, status: int = 500) -> None:
        """Answer with an error: ``status``, ``bad_json``, ``drop`` or ``slow``."""
        self.state.mode = mode
        self.state.status = status

    def stop(self) -> None:
        """Stop listening, so connections are refused."""
        if self._running:
            self._running = False
            self.state.release.set()
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, state: JwksState) -> None:
        super().__init__(("127.0.0.1", 0), _JwksHandler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout tests) is expected, not worth a traceback."""


class _JwksHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, _QuietServer)
        state = self.server.state
        with state.lock:
            state.fetches += 1
        if state.delay_seconds:
            time.sleep(state.delay_seconds)
        if state.mode == "drop":
            self.close_connection = True
            return
        if state.mode == "slow":
            state.release.wait(timeout=5)
        if state.mode == "status":
            self._reply(state.status, b'{"error": "boom"}')
        elif state.mode == "bad_json":
            self._reply(200, b'{"keys": [')
        else:
            self._reply(200, json.dumps(state.document).encode())

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture(scope="session", autouse=True)
def _eddsa_registered() -> None:
    """Tests sign EdDSA and PS256 tokens with python-jose before any verifier exists."""
    register_eddsa()
    register_ps256()


@pytest.fixture(scope="session")
def ed25519_key() -> SigningKey:
    return generate_key("EdDSA", "ed-1")


@pytest.fixture(scope="session")
def p256_key() -> SigningKey:
    return generate_key("ES256", "ec-1")


@pytest.fixture(scope="session")
def rsa_key() -> SigningKey:
    return generate_key("RS256", "rsa-1")


@pytest.fixture(scope="session")
def p521_key() -> SigningKey:
    return generate_key("ES512", "ec-521")


@pytest.fixture(scope="session")
def pss_key() -> SigningKey:
    return generate_key("PS256", "pss-1")


@pytest.fixture(scope="session")
def every_key(
    ed25519_key: SigningKey,
    p256_key: SigningKey,
    p521_key: SigningKey,
    rsa_key: SigningKey,
    pss_key: SigningKey,
) -> dict[str, SigningKey]:
    """One key per JWKS algorithm, by algorithm."""
    keys = (ed25519_key, p256_key, p521_key, rsa_key, pss_key)
    return {key.alg: key for key in keys}


@pytest.fixture(params=JWKS_ALGORITHMS)
def any_key(request: pytest.FixtureRequest, every_key: dict[str, SigningKey]) -> SigningKey:
    """Each JWKS algorithm in turn."""
    return every_key[request.param]


@pytest.fixture
def make_server() -> Iterator[Callable[[], JwksServer]]:
    """Start as many JWKS servers as a test needs; all stop afterwards."""
    servers: list[JwksServer] = []

    def start() -> JwksServer:
        server = JwksServer()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def jwks_server(
    make_server: Callable[[], JwksServer], every_key: dict[str, SigningKey]
) -> JwksServer:
    """A JWKS server publishing one key of each supported kind."""
    server = make_server()
    server.serve(*every_key.values())
    return server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def secret() -> str:
    """The shared HS256 secret (exactly 32 bytes)."""
    return SECRET


@pytest.fixture(scope="session")
def make_claims() -> Callable[..., dict[str, Any]]:
    """Build claims valid for five minutes; keyword ``None`` removes a claim."""
    return claims


@pytest.fixture(scope="session")
def sign_hs256() -> Callable[..., str]:
    """Sign a dict (or raw payload bytes) with HS256 and the shared secret."""
    return _sign_hs256


@pytest.fixture(scope="session")
def raw_token() -> Callable[..., str]:
    """Assemble a compact JWS by hand from a header, payload and signer."""
    return _raw_token


@pytest.fixture(scope="session")
def hs256_signer() -> Callable[[bytes], Callable[[bytes], bytes]]:
    """An HS256 signer over any bytes, PEM included (python-jose refuses those)."""
    return _hmac_sha256


@pytest.fixture(scope="session")
def new_key() -> Callable[[str, str], SigningKey]:
    """Generate a fresh key for an algorithm and kid (for rotations)."""
    return generate_key


@pytest.fixture(scope="session")
def shared_jwks_server(every_key: dict[str, SigningKey]) -> Iterator[JwksServer]:
    """One JWKS server for the whole session, for property tests (never switched)."""
    server = JwksServer()
    server.serve(*every_key.values())
    yield server
    server.stop()
