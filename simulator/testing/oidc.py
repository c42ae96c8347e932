"""A small OpenID Connect provider on 127.0.0.1, for testing the app's sign-in (`st.login`) in a
real browser: discovery, an authorize page where you type who you are, a token endpoint that
issues an RS256-signed ID token (with the nonce it was given), and its JWKS. No network, no mocks
inside the app: Streamlit and Authlib talk to it as to any provider.

    with FakeOIDC() as idp:
        idp.secrets_toml(redirect_uri=...)   # the [auth] section for the app
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeOIDC:
    CLIENT_ID = "mockpanel-test"
    CLIENT_SECRET = "test-secret"

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.codes: dict[str, dict[str, str]] = {}
        self.server: ThreadingHTTPServer | None = None

    # --- what the app is told ------------------------------------------------------------------

    def secrets_toml(self, redirect_uri: str) -> str:
        return (
            "[auth]\n"
            f'redirect_uri = "{redirect_uri}"\n'
            f'cookie_secret = "{secrets.token_hex(16)}"\n'
            f'client_id = "{self.CLIENT_ID}"\n'
            f'client_secret = "{self.CLIENT_SECRET}"\n'
            f'server_metadata_url = "{self.issuer}/.well-known/openid-configuration"\n'
        )

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1", "n": _b64(n), "e": _b64(e)}]}

    def id_token(self, email: str, nonce: str | None) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": email, "aud": self.CLIENT_ID, "iat": now, "exp": now + 600,
                                  "email": email, "email_verified": True, "name": email.split("@")[0]}
        if nonce:
            claims["nonce"] = nonce
        header = {"alg": "RS256", "typ": "JWT", "kid": "k1"}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    # --- the server ----------------------------------------------------------------------------

    def __enter__(self) -> FakeOIDC:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, json.dumps(provider.metadata()).encode())
                elif url.path == "/jwks":
                    self._send(200, json.dumps(provider.jwks()).encode())
                elif url.path == "/authorize":
                    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in q.items())
                    page = ("<html><body><h1>Test sign-in</h1><form method='post' action='/authorize'>"
                            f"{hidden}<input id='email' name='email' type='email'><button id='go' type='submit'>Continue</button>"
                            "</form></body></html>")
                    self._send(200, page.encode(), "text/html")
                else:
                    self._send(404, b"{}")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {"email": form.get("email", ""), "nonce": form.get("nonce", "")}
                    target = form["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": form.get("state", "")})
                    self._send(302, b"", "text/plain", {"Location": target})
                elif self.path == "/token":
                    grant = provider.codes.pop(form.get("code", ""), None)
                    if grant is None:
                        self._send(400, json.dumps({"error": "invalid_grant"}).encode())
                        return
                    token = {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600,
                             "scope": "openid email profile", "id_token": provider.id_token(grant["email"], grant["nonce"] or None)}
                    self._send(200, json.dumps(token).encode())
                else:
                    self._send(404, b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, name="fake-oidc", daemon=True).start()
        return self

    def __exit__(self, *_: Any) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
