#!/usr/bin/env python3
"""Baseline for header parsing: Python's `email` package over every file of a Maildir.

    bench_python_parse.py MAILDIR [--runs K]

For each message file (MAILDIR/cur, MAILDIR/new and every MAILDIR/.Folder/{cur,new}): read the bytes,
`email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes`, then `email.utils.getaddresses` over
From/Sender/Reply-To/To/Cc/Bcc/Resent-*; count distinct lowercase addresses. Prints one JSON line
{"messages": n, "seconds": t, "rate": n/t, "distinct": d} (with --runs K: the run with the median time, plus "runs").
"""

import argparse
import email.parser
import email.policy
import email.utils
import json
import os
import statistics
import time

FIELDS = ("from", "sender", "reply-to", "to", "cc", "bcc",
          "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-bcc")


def message_files(maildir):
    dirs = []
    for sub in sorted(os.listdir(maildir)):
        if sub in ("cur", "new"):
            dirs.append(os.path.join(maildir, sub))
        elif sub.startswith(".") and os.path.isdir(os.path.join(maildir, sub)):
            dirs += [os.path.join(maildir, sub, leaf) for leaf in ("cur", "new")]
    files = []
    for d in dirs:
        if os.path.isdir(d):
            files += [os.path.join(d, f) for f in sorted(os.listdir(d))]
    return files


def run(files, preloaded=None):
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    seen = set()
    start = time.perf_counter()
    for index, path in enumerate(files):
        if preloaded is not None:
            data = preloaded[index]
        else:
            with open(path, "rb") as f:
                data = f.read()
        msg = parser.parsebytes(data)
        values = []
        for field in FIELDS:
            values += msg.get_all(field, [])
        for _, addr in email.utils.getaddresses([str(v) for v in values]):
            if addr:
                seen.add(addr.lower())
    seconds = time.perf_counter() - start
    return {"messages": len(files), "seconds": round(seconds, 4),
            "rate": round(len(files) / seconds, 1) if seconds > 0 else None, "distinct": len(seen)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("maildir")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--preload", action="store_true", help="read every file into memory first; time parsing only")
    args = ap.parse_args()
    files = message_files(args.maildir)
    if not files:
        ap.error("no message files under %s (expects cur/ new/ .Folder/cur ...)" % args.maildir)
    preloaded = None
    if args.preload:
        preloaded = []
        for path in files:
            with open(path, "rb") as f:
                preloaded.append(f.read())
    results = [run(files, preloaded) for _ in range(max(1, args.runs))]
    median = statistics.median_low([r["seconds"] for r in results])
    best = next(r for r in results if r["seconds"] == median)
    if args.runs > 1:
        best["runs"] = [r["seconds"] for r in results]
    print(json.dumps(best))


if __name__ == "__main__":
    main()
