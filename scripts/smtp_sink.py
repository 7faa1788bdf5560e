#!/usr/bin/python3
"""An SMTP sink on 127.0.0.1 for SeatMeter's tests and demo (Debian python3-aiosmtpd).

Writes each received message to OUTDIR as NNNN.eml plus NNNN.json (envelope, EHLO name, AUTH login, TLS on/off).

  smtp_sink.py --port P --outdir DIR [--tls-cert C --tls-key K] [--user U --password PW]
               [--introspection-url URL] [--ready-file F]

With --tls-cert/--tls-key, STARTTLS is offered and required. With --user, AUTH is required (only after STARTTLS
when TLS is on). With --introspection-url too, AUTH XOAUTH2 and OAUTHBEARER are offered besides the password
mechanisms: the bearer token is accepted when that RFC 7662 endpoint says it is active for --user. Writes the listening port to --ready-file once it accepts connections. SIGTERM stops it.
"""
import argparse
import base64
import json
import os
import signal
import ssl
import sys
import threading
import urllib.parse
import urllib.request

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.outdir, "%04d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "ehlo": session.host_name,
            "auth_login": (session.auth_data.login.decode() if session.auth_data and hasattr(session.auth_data, "login") and session.auth_data.login else None),
            "tls": session.ssl is not None,
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


class BearerSink(Sink):
    """A Sink that also takes OAuth 2.0 bearer tokens (XOAUTH2, OAUTHBEARER), checked by introspection."""

    def __init__(self, outdir, user, introspection_url):
        super().__init__(outdir)
        self.user = user
        self.introspection_url = introspection_url

    async def auth_XOAUTH2(self, server, args):
        return await self.bearer(server, args)

    async def auth_OAUTHBEARER(self, server, args):
        return await self.bearer(server, args)

    async def bearer(self, server, args):
        if len(args) == 2:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except ValueError:
                return AuthResult(success=False)
        else:
            blob = await server.challenge_auth("", encode_to_b64=False)
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        fields = {}
        for part in blob.decode(errors="replace").replace(",", "\x01").split("\x01"):
            key, _, value = part.partition("=")
            fields[key] = value
        login = fields.get("user") or fields.get("a")
        token = fields.get("auth", "")
        if login != self.user or not token.startswith("Bearer "):
            return AuthResult(success=False)
        data = urllib.parse.urlencode({"token": token[len("Bearer "):]}).encode()
        try:
            with urllib.request.urlopen(self.introspection_url, data=data, timeout=10) as response:
                active = json.load(response).get("active") is True
        except OSError:
            active = False
        if not active:
            return AuthResult(success=False)
        return AuthResult(success=True, auth_data=LoginPassword(login.encode(), b""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--outdir", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--introspection-url")
    parser.add_argument("--ready-file")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    kwargs = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = True
    if args.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user \
                and auth_data.password.decode() == args.password
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
        kwargs["authenticator"] = authenticator
        kwargs["auth_require_tls"] = bool(args.tls_cert)
        kwargs["auth_required"] = True

    port = args.port
    if port == 0:
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    if args.introspection_url and args.user:
        handler = BearerSink(args.outdir, args.user, args.introspection_url)
    else:
        handler = Sink(args.outdir)
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.ready_file + ".tmp", args.ready_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
