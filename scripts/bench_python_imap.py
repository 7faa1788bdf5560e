#!/usr/bin/env python3
"""The script an admin would write instead of SeatMeter: imaplib + the email package.

    bench_python_imap.py --host 127.0.0.1 --port P --user U --password-file F --fields "FROM TO ..." [--ssl]
                         [--cafile CA] [--folder INBOX [--folder Sent ...]] [--runs K]

Logs in; per folder EXAMINE (read-only), `UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (<fields>)])` with the fields
SeatMeter fetches (the bench passes `seatmeter-bench fields`), parses each header block
with BytesHeaderParser + email.utils.getaddresses; counts distinct lowercase addresses. Prints one JSON line
{"messages": n, "seconds": t, "rate": n/t, "distinct": d, "bytes": header bytes}; the time covers connect, login,
fetch and parse. With --runs K: the run with the median time, plus "runs".
"""

import argparse
import email.parser
import email.policy
import email.utils
import imaplib
import json
import ssl
import statistics
import time

ADDRESS_FIELDS = ("from", "sender", "reply-to", "to", "cc", "bcc",
                  "resent-from", "resent-sender", "resent-to", "resent-cc")


def run(args, password):
    start = time.perf_counter()
    if args.ssl:
        ctx = ssl.create_default_context(cafile=args.cafile)
        imap = imaplib.IMAP4_SSL(args.host, args.port, ssl_context=ctx)
    else:
        imap = imaplib.IMAP4(args.host, args.port)
    try:
        imap.login(args.user, password)
        data = []
        for folder in args.folder or ["INBOX"]:
            typ, resp = imap.select(folder, readonly=True)  # readonly=True sends EXAMINE
            if typ != "OK":
                raise SystemExit("EXAMINE %s failed: %r" % (folder, resp))
            typ, resp = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (%s)])" % args.fields)
            if typ != "OK":
                raise SystemExit("UID FETCH in %s failed: %r" % (folder, resp))
            data += resp
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    seen = set()
    messages = 0
    nbytes = 0
    for item in data:
        if not isinstance(item, tuple):
            continue  # the b")" closing each FETCH response
        messages += 1
        nbytes += len(item[1])
        msg = parser.parsebytes(item[1])
        values = []
        for field in ADDRESS_FIELDS:
            values += msg.get_all(field, [])
        for _, addr in email.utils.getaddresses([str(v) for v in values]):
            if addr:
                seen.add(addr.lower())
    seconds = time.perf_counter() - start
    return {"messages": messages, "seconds": round(seconds, 4),
            "rate": round(messages / seconds, 1) if seconds > 0 else None, "distinct": len(seen), "bytes": nbytes}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--ssl", action="store_true", help="IMAPS (TLS from the first byte)")
    ap.add_argument("--cafile", help="CA certificate to verify the server with (--ssl)")
    ap.add_argument("--folder", action="append", help="folder to read (repeatable; default INBOX)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--fields", required=True,
                    help="the header fields to fetch, space-separated: the ones SeatMeter fetches (seatmeter-bench fields)")
    args = ap.parse_args()
    imaplib._MAXLINE = 10 * 1024 * 1024  # imaplib's 1 MB line guard is not the point here
    with open(args.password_file) as f:
        password = f.read().rstrip("\r\n")
    results = [run(args, password) for _ in range(max(1, args.runs))]
    median = statistics.median_low([r["seconds"] for r in results])
    best = next(r for r in results if r["seconds"] == median)
    if args.runs > 1:
        best["runs"] = [r["seconds"] for r in results]
    print(json.dumps(best))


if __name__ == "__main__":
    main()
