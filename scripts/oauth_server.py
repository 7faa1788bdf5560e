#!/usr/bin/python3
"""A tiny OAuth 2.0 authorization server on 127.0.0.1 for SeatMeter's tests (Python standard library only).

  oauth_server.py --state-dir DIR --tls-cert C --tls-key K --client-id ID --client-secret S --user U
                  [--refresh-token T] [--lifetime SECONDS] [--rotate] [--ready-file F]

Two listeners:
- HTTPS (the test certificate): POST /token, form-encoded, grants client_credentials and refresh_token
  (client_secret_post or HTTP Basic). Issues random access tokens valid for --lifetime seconds; with --rotate every
  refresh_token grant issues a new refresh token and the old one stops working.
- plain HTTP: POST /introspect (RFC 7662, form field `token`), which Dovecot's oauth2 passdb calls
  (introspection_mode = post): {"active": true, "username": U} for a live token, else {"active": false}.

Control (read at every request): DIR/control.json, all keys optional:
  {"fail": "invalid_grant", "status": 503, "retry_after": 2, "lifetime": 5, "revoke_before": EPOCH}
  fail: answer every token request with HTTP 400 and this OAuth error; status: answer with this HTTP status;
  revoke_before: access tokens issued before this time (epoch seconds) are inactive.
Statistics (rewritten atomically after every request): DIR/stats.json:
  {"token_requests": n, "grants": {...}, "failed": n, "introspections": n, "active_introspections": n,
   "refresh_token": current, "access_tokens": [...]}
Writes "TOKENPORT INTROSPECTPORT" to --ready-file once both listen. SIGTERM stops it.
"""
import argparse
import base64
import json
import os
import secrets
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


class State:
    def __init__(self, args):
        self.args = args
        self.refresh_token = args.refresh_token
        self.tokens = {}  # access token -> expiry (epoch seconds)
        self.revoked_before = 0.0
        self.stats = {"token_requests": 0, "grants": {}, "failed": 0, "introspections": 0,
                      "active_introspections": 0, "refresh_token": self.refresh_token, "access_tokens": []}

    def control(self):
        path = os.path.join(self.args.state_dir, "control.json")
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def save(self):
        path = os.path.join(self.args.state_dir, "stats.json")
        with open(path + ".tmp", "w") as f:
            json.dump(self.stats, f)
        os.rename(path + ".tmp", path)


class Handler(BaseHTTPRequestHandler):
    state = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        length = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}

    def do_POST(self):
        if self.path.startswith("/token"):
            self.token()
        elif self.path.startswith("/introspect"):
            self.introspect()
        else:
            self.reply(404, {"error": "not_found"})

    def token(self):
        state = self.state
        form = self.form()
        with LOCK:
            control = state.control()
            state.stats["token_requests"] += 1
            grant = form.get("grant_type", "")
            state.stats["grants"][grant] = state.stats["grants"].get(grant, 0) + 1
            try:
                client_id, client_secret = form.get("client_id"), form.get("client_secret")
                basic = self.headers.get("Authorization", "")
                if basic.startswith("Basic "):
                    client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
                if control.get("status"):
                    state.stats["failed"] += 1
                    headers = {"Retry-After": str(control["retry_after"])} if control.get("retry_after") else {}
                    return self.reply(int(control["status"]), {"error": "temporarily_unavailable"}, headers)
                if control.get("fail"):
                    state.stats["failed"] += 1
                    return self.reply(400, {"error": control["fail"], "error_description": "refused on demand"})
                if client_id != state.args.client_id or client_secret != state.args.client_secret:
                    state.stats["failed"] += 1
                    return self.reply(401, {"error": "invalid_client", "error_description": "bad client"})
                body = {}
                if grant == "refresh_token":
                    if not state.refresh_token or form.get("refresh_token") != state.refresh_token:
                        state.stats["failed"] += 1
                        return self.reply(400, {"error": "invalid_grant", "error_description": "unknown refresh token"})
                    if state.args.rotate:
                        state.refresh_token = "rt-" + secrets.token_urlsafe(18)
                        state.stats["refresh_token"] = state.refresh_token
                        body["refresh_token"] = state.refresh_token
                elif grant != "client_credentials":
                    state.stats["failed"] += 1
                    return self.reply(400, {"error": "unsupported_grant_type"})
                lifetime = int(control.get("lifetime", state.args.lifetime))
                access = "at-" + secrets.token_urlsafe(24)
                state.tokens[access] = (time.time(), time.time() + lifetime)
                state.stats["access_tokens"].append(access)
                body.update({"access_token": access, "token_type": "Bearer", "expires_in": lifetime})
                return self.reply(200, body)
            finally:
                state.save()

    def introspect(self):
        state = self.state
        token = self.form().get("token", "")
        with LOCK:
            control = state.control()
            state.stats["introspections"] += 1
            issued = state.tokens.get(token)
            active = issued is not None and time.time() < issued[1] and issued[0] > float(
                control.get("revoke_before", 0))
            if active:
                state.stats["active_introspections"] += 1
            state.save()
        if active:
            self.reply(200, {"active": True, "username": state.args.user})
        else:
            self.reply(200, {"active": False})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--tls-cert", required=True)
    parser.add_argument("--tls-key", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--refresh-token")
    parser.add_argument("--lifetime", type=int, default=3600)
    parser.add_argument("--rotate", action="store_true")
    parser.add_argument("--ready-file")
    args = parser.parse_args()
    os.makedirs(args.state_dir, exist_ok=True)

    Handler.state = State(args)
    Handler.state.save()
    tls = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    plain = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    for server in (tls, plain):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write("%d %d" % (tls.server_address[1], plain.server_address[1]))
        os.rename(args.ready_file + ".tmp", args.ready_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for server in (tls, plain):
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
