"""A small, real OpenID provider for tests: a stand-in for the province's unified identity platform.

It runs http.server in a thread on 127.0.0.1 (ephemeral port) with an RSA key generated at start, and speaks the
authorization code flow: /authorize redirects back with code and state and remembers the nonce; /token checks the
client and the code and returns an RS256 ID token (joserfc) and an access token; /userinfo answers the bearer of
that access token; /jwks publishes the public key; /logout is the end-session endpoint. Tests set ``claims`` (what
the province knows of the person) and may tamper with what it issues (``id_token_overrides``, ``signing_key``).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

_REMOVE = object()


def generate_rsa_key(kid: str) -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return RSAKey.import_key(pem, {"kid": kid, "use": "sig", "alg": "RS256"})


class OpenIDProvider:
    REMOVE = _REMOVE  # as a value in id_token_overrides: leave that claim out

    def __init__(self, *, client_id: str = "yijianshi-test", client_secret: str | None = None):
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.key = generate_rsa_key("province-1")
        self.signing_key = self.key  # a test may sign with another key to forge a token
        self.claims: dict = {}  # userinfo claims; "sub" is also the ID token's subject
        self.userinfo_overrides: dict = {}
        self.id_token_overrides: dict = {}
        self.token_error: str | None = None  # answer /token with this OAuth error instead
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, to prove the RP called us
        self._codes: dict[str, dict] = {}
        self._access_tokens: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Life -----------------------------------------------------------------------------------------------

    def start(self) -> "OpenIDProvider":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-openid-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def endpoint(self, name: str) -> str:
        return f"{self.issuer}/{name}"

    def django_settings(self) -> dict:
        """The settings a relying party needs to use this provider (for override_settings)."""
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.endpoint("authorize"),
            "OIDC_OP_TOKEN_ENDPOINT": self.endpoint("token"),
            "OIDC_OP_USER_ENDPOINT": self.endpoint("userinfo"),
            "OIDC_OP_JWKS_ENDPOINT": self.endpoint("jwks"),
            "OIDC_OP_LOGOUT_ENDPOINT": self.endpoint("logout"),
            "OIDC_OP_ISSUER": self.issuer,
        }

    def paths_requested(self) -> list[str]:
        with self._lock:
            return [path for _, path in self.requests]

    # --- The protocol -----------------------------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict, bytes]:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri.startswith(("http://", "https://")):
            return 400, {}, b"unknown client or redirect_uri"
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return _redirect(redirect_uri, error="unsupported_response_type", state=query.get("state", ""))
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = {"nonce": query.get("nonce"), "redirect_uri": redirect_uri,
                                 "claims": dict(self.claims)}
        return _redirect(redirect_uri, code=code, state=query.get("state", ""))

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict, bytes]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != self.client_id or not secrets.compare_digest(client_secret or "", self.client_secret):
            return _json(401, {"error": "invalid_client"})
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code is good once
        if (form.get("grant_type") != "authorization_code" or grant is None
                or form.get("redirect_uri") != grant["redirect_uri"]):
            return _json(400, {"error": "invalid_grant"})
        if self.token_error:
            return _json(400, {"error": self.token_error})
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": grant["claims"].get("sub", ""), "aud": self.client_id,
                  "exp": now + 300, "iat": now, "auth_time": now, "nonce": grant["nonce"]}
        for name, value in self.id_token_overrides.items():
            if value is _REMOVE:
                claims.pop(name, None)
            else:
                claims[name] = value
        id_token = jwt.encode({"alg": "RS256", "kid": self.signing_key.kid}, claims, self.signing_key)
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = {**grant["claims"], **self.userinfo_overrides}
        return _json(200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                           "id_token": id_token})

    def userinfo(self, authorization: str) -> tuple[int, dict, bytes]:
        with self._lock:
            claims = self._access_tokens.get(authorization.removeprefix("Bearer ").strip())
        if not authorization.startswith("Bearer ") or claims is None:
            return 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, b""
        return _json(200, claims)

    def jwks(self) -> tuple[int, dict, bytes]:
        return _json(200, {"keys": [self.key.as_dict(private=False)]})


def _redirect(uri: str, **params) -> tuple[int, dict, bytes]:
    return 302, {"Location": f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"}, b""


def _json(status: int, body: dict) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json", "Cache-Control": "no-store"}, json.dumps(body).encode()


def _handler_for(provider: OpenIDProvider):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _route(self, method: str) -> None:
            url = urlsplit(self.path)
            with provider._lock:
                provider.requests.append((method, url.path))
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            authorization = self.headers.get("Authorization", "")
            if method == "GET" and url.path == "/authorize":
                return self._answer(*provider.authorize(query))
            if method == "POST" and url.path == "/token":
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                return self._answer(*provider.token(form, authorization))
            if method == "GET" and url.path == "/userinfo":
                return self._answer(*provider.userinfo(authorization))
            if method == "GET" and url.path == "/jwks":
                return self._answer(*provider.jwks())
            if method == "GET" and url.path == "/logout":
                target = query.get("post_logout_redirect_uri")
                return self._answer(302, {"Location": target}, b"") if target else self._answer(200, {}, b"")
            return self._answer(404, {}, b"")

        def do_GET(self):  # noqa: N802 (http.server's naming)
            self._route("GET")

        def do_POST(self):  # noqa: N802
            self._route("POST")

        def log_message(self, format, *args):  # noqa: A002 — quiet: the test output is for the tests
            pass

    return Handler
