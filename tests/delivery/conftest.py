"""Real peers on 127.0.0.1 for the delivery tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.cli.conftest import cli_run, plugins, provider, write_config  # noqa: F401 - shared fixtures

#: The mark each delivery test module sets: its peers listen on 127.0.0.1, nothing else is reachable.
LOCALHOST_ONLY = pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])

SMTP_USER = "mailer"
SMTP_PASSWORD = "smtp-password-sekrit-42"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.raw.append(envelope.original_content)
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@dataclass
class SmtpServer:
    """A running SMTP server: its port and mailbox."""

    port: int
    mailbox: Mailbox


def start_smtp(mailbox: Mailbox, **options) -> tuple[Controller, int]:
    """An aiosmtpd server on 127.0.0.1 with ``options`` (TLS, AUTH); returns it started and its port."""
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=mailbox.authenticate, **options)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_server():
    """A plain SMTP server on 127.0.0.1 (no TLS, no AUTH)."""
    mailbox = Mailbox()
    controller, port = start_smtp(mailbox, auth_require_tls=True)
    yield SmtpServer(port, mailbox)
    controller.stop()


@pytest.fixture
def certificate(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made now, trusted by this process (SSL_CERT_FILE); (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    return cert_path, key_path


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """The server side TLS context for ``certificate``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def starttls_server(certificate):
    """An SMTP server that requires STARTTLS, then AUTH with SMTP_USER / SMTP_PASSWORD."""
    mailbox = Mailbox()
    controller, port = start_smtp(
        mailbox,
        tls_context=server_context(certificate),
        require_starttls=True,
        auth_required=True,
    )
    yield SmtpServer(port, mailbox)
    controller.stop()


@pytest.fixture
def ssl_server(certificate):
    """An SMTP server speaking TLS from the first byte (implicit TLS, as on port 465), with AUTH."""
    mailbox = Mailbox()
    # aiosmtpd counts only STARTTLS as TLS for its auth_require_tls: this connection is TLS from its first byte.
    controller, port = start_smtp(
        mailbox, ssl_context=server_context(certificate), auth_required=True, auth_require_tls=False
    )
    yield SmtpServer(port, mailbox)
    controller.stop()


@dataclass
class Receiver:
    """A local HTTP server taking webhook posts: the posts (path, JSON body) and the status it answers."""

    port: int
    posts: list[tuple[str, dict]] = field(default_factory=list)
    status: int = 200

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def webhook_receiver():
    """A threaded ``http.server`` on 127.0.0.1 recording each POST's path and JSON body."""
    receiver = Receiver(0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.posts.append((self.path, json.loads(body)))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
