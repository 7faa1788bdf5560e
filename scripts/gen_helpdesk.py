#!/usr/bin/env python3
"""Deterministic generator of realistic help-desk mail traffic, with its ground truth.

    gen_helpdesk.py --out DIR --messages N [--people P] [--seed S] [--domain example.com]
                    [--start 2026-06-01 --weeks 26] [--owner UID:GID] [--fold-plus-tags]

Writes
    DIR/Maildir/cur/...         INBOX: mail the help desk received
    DIR/Maildir/.Sent/cur/...   Sent: the desk's staff replies (and its automatic acknowledgements)
    DIR/seatmeter-org.yaml      the `organization:` section the truth assumes
    DIR/truth.json              every identity's role, computed by `classify()` below from what was emitted

File names are Dovecot's: `<unixtime>.M<usec>P<pid>Q<seq>.seatmeter,S=<size>,W=<crlfsize>:2,<flags>`,
mtime = the message date, CRLF line ends. Same arguments, same bytes (Python standard library only).

truth.json:
    {"people":   [{"address", "role": "agent"|"free-submitter"|"free-recipient", "confirmed": bool,
                   "name": most recent non-empty display name ("" if none), "reasons": [evidence codes]}],
     "excluded": [{"address", "reasons": [...]}],
     "messages": files written, "distinct_messages": distinct Message-IDs / header blocks,
     "folders": {"INBOX": n, "Sent": n}, "organization": {...}, "generator": {...}}
"""

import argparse
import base64
import concurrent.futures
import datetime
import fnmatch
import functools
import json
import os
import random
import sys
import unicodedata

CRLF = "\r\n"

# ---------------------------------------------------------------------------------------------------------------
# The rules (issue 4, defaults). Small and explicit on purpose: compare it with the Swift classifier.
# ---------------------------------------------------------------------------------------------------------------

SENDER_FIELDS = ("from", "sender", "reply-to", "resent-from", "resent-sender")
RECIPIENT_FIELDS = ("to", "cc", "bcc")  # Resent-To/Resent-Cc only ever hold desk addresses here.
SYSTEM_LOCAL_PARTS = ("mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply")
VENDOR_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond")


def is_automated(headers):
    """RFC 3834 and friends, over the (name, value) header list as emitted. X-Auto-Response-Suppress is NOT one."""
    for name, value in headers:
        n = name.lower()
        v = value.strip().lower()
        if n == "auto-submitted" and v.split(";")[0].strip() != "no":
            return True
        if n == "precedence" and v in ("bulk", "junk", "list"):
            return True
        if n == "list-id":
            return True
        if n == "return-path" and v.replace(" ", "") == "<>":
            return True
        if n == "content-type" and v.startswith("multipart/report") and (
                "delivery-status" in v or "disposition-notification" in v):
            return True
        if n in VENDOR_AUTOREPLY_HEADERS:
            return True
    return False


def make_identity(org):
    """Canonical identity of an addr-spec: unquote a quoted dot-atom local part, lowercase (fold_local_part_case),
    drop a +tag when fold_plus_tags, then resolve aliases (one step; alias keys are identities too)."""
    fold_case = org.get("fold_local_part_case", True)
    fold_plus = org.get("fold_plus_tags", False)
    raw_aliases = org.get("aliases", {})

    def base(addr):
        local, _, domain = addr.rpartition("@")
        if len(local) >= 2 and local[0] == '"' and local[-1] == '"':
            local = local[1:-1]
        if fold_case:
            local = local.lower()
        if fold_plus and "+" in local:
            local = local.split("+", 1)[0]
        return local + "@" + domain.lower()

    aliases = {base(k): base(v) for k, v in raw_aliases.items()}

    def identity(addr):
        b = base(addr)
        return aliases.get(b, b)

    return identity


def classify(observations, org):
    """observations: iterable of dicts {"folders": set of "incoming"/"outgoing", "automated": bool, "date": int,
    "fields": [(field, addr_spec, display_name)]}, one per distinct message.
    Returns (people, excluded) as truth.json lists."""
    identity = make_identity(org)
    desk = {identity(a) for a in org["helpdesk_addresses"]}
    internal = [d.lower() for d in org["internal_domains"]]
    roster = {identity(a) for a in org["agents"].get("addresses", [])}
    roster_domains = [d.lower() for d in org["agents"].get("domains", [])]
    ignore = [p.lower() for p in org.get("ignore", [])]
    count_external = org.get("count_external", False)

    def exclusions(ident):
        """Address-level reasons: never a user, whatever the mail says."""
        local, _, domain = ident.rpartition("@")
        reasons = []
        if ident in desk:
            reasons.append("helpdesk")
        if local in SYSTEM_LOCAL_PARTS or local.startswith("bounce"):
            reasons.append("system-sender")
        if any(fnmatch.fnmatchcase(ident, p) for p in ignore):
            reasons.append("ignored")
        if not count_external and domain not in internal:
            reasons.append("external")
        return reasons

    evidence = {}  # identity -> set of codes
    latest_name = {}  # identity -> (date, name)
    for obs in observations:
        ids = [(f, identity(a)) for f, a, _ in obs["fields"]]
        for (f, ident), (_, _, name) in zip(ids, obs["fields"]):
            ev = evidence.setdefault(ident, set())
            if name:
                prev = latest_name.get(ident)
                if prev is None or obs["date"] >= prev[0]:
                    latest_name[ident] = (obs["date"], name)
        froms = {i for f, i in ids if f == "from"}
        for f, ident in ids:
            ev = evidence[ident]
            if f in RECIPIENT_FIELDS:
                ev.add("received")  # recipients count, even of automated mail (the desk's acknowledgements)
            elif obs["automated"]:
                ev.add("automated-sender")  # the sender of automated mail gets nothing from it
            elif f == "from":
                if "incoming" in obs["folders"]:
                    ev.add("submitted")
                if "outgoing" in obs["folders"]:
                    ev.add("outgoing-author")
            elif f == "sender" and ident not in froms:
                ev.add("on-behalf")
            elif f in ("resent-from", "resent-sender") and ident not in froms:
                ev.add("resent")

    people, excluded = [], []
    for ident in sorted(evidence):
        ev = evidence[ident]
        excl = exclusions(ident)
        if excl:
            excluded.append({"address": ident, "reasons": excl})
            continue
        confirmed = ident in roster or ident.rpartition("@")[2] in roster_domains
        agent_ev = sorted(ev & {"outgoing-author", "on-behalf", "resent"})
        if confirmed or agent_ev:
            role = "agent"
            reasons = (["roster"] if confirmed else []) + agent_ev
        elif "submitted" in ev:
            role, reasons = "free-submitter", ["submitted"]
        elif "received" in ev:
            role, reasons = "free-recipient", ["received"]
        else:
            excluded.append({"address": ident, "reasons": ["automated-sender-only"]})
            continue
        people.append({"address": ident, "role": role, "confirmed": confirmed,
                       "name": latest_name.get(ident, (0, ""))[1], "reasons": reasons})
    return people, excluded


# ---------------------------------------------------------------------------------------------------------------
# Names and their encodings
# ---------------------------------------------------------------------------------------------------------------

FIRST_ASCII = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
               "Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Paul "
               "Ashley Steven Emily Andrew Kimberly Kevin Donna Brian Michelle George Carol Olivia Liam Noah Emma "
               "Ava Sophia Lucas Mia Ethan Chloe Oliver Grace Henry Ruby Jack Isla Leo Freya").split()
LAST_ASCII = ("Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson Martin Lee "
              "Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green Adams Baker "
              "Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris "
              "Murphy Cook Rogers Reed Bailey Cooper Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray "
              "O'Brien O'Neil").split()
FIRST_LATIN1 = "Jürgen Günter Jörg Björn Søren Åsa François Hélène Zoé José María Íñigo Renée André Noémie Gaëlle".split()
LAST_LATIN1 = "Müller Schäfer Weiß Größer Lefèvre Núñez Ødegård Sjöberg Bøe Peña García Gómez Dupré Béranger".split()
NAMES_CP1252 = ["Šárka Nováková", "Žofie Malá", "Siobhán O’Connor", "Chloé D’Arcy", "Œlise Ståhl", "Zdeňka Šťastná"]
NAMES_KOI8R = [("Иван Петров", "ivan.petrov"), ("Ольга Смирнова", "olga.smirnova"),
               ("Дмитрий Кузнецов", "dmitry.kuznetsov"), ("Наталья Иванова", "natalya.ivanova"),
               ("Алексей Соколов", "alexey.sokolov"), ("Екатерина Попова", "ekaterina.popova"),
               ("Сергей Волков", "sergey.volkov"), ("Анна Морозова", "anna.morozova")]
NAMES_SJIS = [("山田 太郎", "taro.yamada"), ("佐藤 花子", "hanako.sato"), ("鈴木 一郎", "ichiro.suzuki"),
              ("高橋 美咲", "misaki.takahashi"), ("田中 健", "ken.tanaka"), ("伊藤 さくら", "sakura.ito"),
              ("渡辺 翔太", "shota.watanabe")]
NAMES_GB = [("王伟", "wei.wang"), ("李娜", "na.li"), ("张敏", "min.zhang"), ("刘洋", "yang.liu"), ("陈静", "jing.chen")]
NAMES_UTF8 = [("Łukasz Wójcik", "lukasz.wojcik"), ("Νίκος Παπαδόπουλος", "nikos.papadopoulos"),
              ("Ayşe Yılmaz", "ayse.yilmaz"), ("Zdeněk Dvořák", "zdenek.dvorak"), ("Đorđe Petrović", "djordje.petrovic")]
CHARSETS = ("iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "gb2312")
TRANSLIT = {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "dj",
            "Đ": "Dj", "ı": "i", "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "’": "", "'": ""}


def ascii_local(name):
    s = "".join(TRANSLIT.get(c, c) for c in name)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    parts = ["".join(ch for ch in p if ch.isalnum() and ch.isascii()) for p in s.replace(",", " ").split()]
    return ".".join(p for p in parts if p)


def encodable(text, charset):
    try:
        text.encode(charset)
        return True
    except UnicodeEncodeError:
        return False


@functools.lru_cache(maxsize=65536)
def encoded_words(text, charset, kind):
    """RFC 2047 words for `text` (spaces kept inside), split on character boundaries to stay <= 75 chars each."""
    prefix = "=?%s?%s?" % (charset, kind)
    budget = 75 - len(prefix) - 2
    words, chunk = [], ""

    def enc(s):
        b = s.encode(charset)
        if kind == "B":
            return base64.b64encode(b).decode("ascii")
        return "".join("_" if c == 0x20 else chr(c) if (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A)
                       else "=%02X" % c for c in b)

    for ch in text:
        if chunk and len(enc(chunk + ch)) > budget:
            words.append(prefix + enc(chunk) + "?=")
            chunk = ""
        chunk += ch
    if chunk:
        words.append(prefix + enc(chunk) + "?=")
    return tuple(words)


SPECIALS = set('()<>[]:;@\\,."')


def quote_phrase(name):
    if name and all(c.isascii() and (c.isalnum() or c in " !#$%&'*+-/=?^_`{|}~") for c in name) and \
            not name.startswith(" ") and "  " not in name:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_name(name, rng):
    """A display name as it would be written by some mail client. Returns the header text."""
    if all(c.isascii() for c in name):
        return quote_phrase(name)
    options = [c for c in CHARSETS if encodable(name, c)] + ["utf-8", "UTF-8"]
    charset = rng.choice(options)
    kind = rng.choice("BQ")
    tokens = name.split(" ")
    non_ascii = [i for i, t in enumerate(tokens) if not t.isascii()]
    lo, hi = non_ascii[0], non_ascii[-1]
    if rng.random() < 0.5 and not any(c in SPECIALS for t in tokens[:lo] + tokens[hi + 1:] for c in t):
        # Encode only the non-ASCII run; the ASCII words around stay plain atoms.
        run = " ".join(tokens[lo:hi + 1])
        words = encoded_words(run, charset, kind)
        return " ".join(tokens[:lo] + list(words) + tokens[hi + 1:])
    words = encoded_words(name, charset, kind)
    return (CRLF + " ").join(words) if len(words) > 1 and rng.random() < 0.5 else " ".join(words)


# ---------------------------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------------------------

class Person:
    __slots__ = ("local", "domain", "name", "kind", "tz", "aliases", "forms", "boss", "roster", "mailer")

    def __init__(self, local, domain, name, kind, tz, mailer):
        self.local, self.domain, self.name, self.kind, self.tz, self.mailer = local, domain, name, kind, tz, mailer
        self.aliases = []
        self.forms = None
        self.boss = None
        self.roster = False

    @property
    def address(self):
        return self.local + "@" + self.domain


EXTERNAL_DOMAINS = ["fabrikam.example", "northwind.example", "contoso-partners.example", "tailspin.example",
                    "litware.example", "adatum.example", "example.org", "example.net", "mail.example.net"]


def related(a, b):
    """True when domain a is b, or one is a subdomain of the other (never use it as an external domain)."""
    return a == b or a.endswith("." + b) or b.endswith("." + a)


TIMEZONES = [120, 120, 120, 60, 60, 0, -240, -300, 330, 540, 600]
MAILERS = ["Microsoft Outlook 16.0", "Mozilla Thunderbird 115.3", "Apple Mail (2.3731)", "Roundcube Webmail/1.6.5",
           None, None]


class Population:
    def __init__(self, rng, people, domain):
        self.rng = rng
        self.domain = domain
        self.external_domains = [d for d in EXTERNAL_DOMAINS if not related(d, domain)]
        self.used = set()
        self.name_pool = self._names()
        n = max(people, 30)
        counts = {
            "external": max(3, n * 12 // 100),
            "tech": max(4, n * 3 // 100),
            "assistant": max(1, n // 100),
            "forwarder": max(1, n // 200),
            "ooo_only": max(2, n // 100),
            "list_only": max(1, n // 400),
            "colleague": max(3, n * 15 // 100),
        }
        counts["employee"] = max(5, n - sum(counts.values()))
        self.by_kind = {}
        for kind in ("employee", "colleague", "tech", "assistant", "forwarder", "ooo_only", "list_only", "external"):
            self.by_kind[kind] = [self._person(kind) for _ in range(counts[kind])]
        techs = self.by_kind["tech"]
        n_roster = max(1, (len(techs) * 7) // 10)
        n_roster = min(n_roster, len(techs) - 2)
        for t in techs[:n_roster]:
            t.roster = True
        emps = self.by_kind["employee"]
        for a in self.by_kind["assistant"]:
            a.boss = emps[rng.randrange(min(len(emps), 20))]
        # Aliases for a couple of people (employees and one technician on the roster).
        self.alias_people = []
        for p in (emps[1], emps[min(7, len(emps) - 1)], techs[0]):
            first, _, last = p.local.partition(".")
            alias = (first[:1] + last) if last else (p.local + "1")
            alias = alias.replace("'", "")
            if alias + "@" + domain not in self.used:
                self.used.add(alias + "@" + domain)
                p.aliases.append(alias)
                self.alias_people.append(p)
        # Zipf-ish activity: a few employees write a lot.
        self.submitters = emps
        self.submitter_cum = self._cum(len(emps), 0.9)
        self.colleagues = self.by_kind["colleague"] + emps
        self.colleague_cum = self._cum(len(self.colleagues), 0.5)
        self.roster_techs = [t for t in techs if t.roster]
        self.other_techs = [t for t in techs if not t.roster]
        # The last non-roster technician only ever writes "on behalf of" the desk.
        self.desk_sender_only = self.other_techs[-1]
        self.reply_techs = techs[:-1]
        self.tech_cum = self._cum(len(self.reply_techs), 0.7)
        # Employees who are never anything but an out-of-office sender and list posters come from dedicated kinds.

    @staticmethod
    def _cum(n, s):
        total, cum = 0.0, []
        for i in range(n):
            total += 1.0 / (i + 1) ** s
            cum.append(total)
        return cum

    def _names(self):
        rng = self.rng
        pool = []
        for f in FIRST_ASCII:
            for l in LAST_ASCII:
                pool.append((f + " " + l, None))
        ascii_pool = pool
        rng.shuffle(ascii_pool)
        intl = [(f + " " + l, None) for f in FIRST_LATIN1 for l in LAST_LATIN1]
        intl += [(n, None) for n in NAMES_CP1252] + NAMES_KOI8R + NAMES_SJIS + NAMES_GB + NAMES_UTF8
        rng.shuffle(intl)
        return {"ascii": ascii_pool, "intl": intl, "i": 0, "j": 0}

    def _person(self, kind):
        rng = self.rng
        p = self.name_pool
        if rng.random() < 0.22 and p["j"] < len(p["intl"]) * 4:
            name, local = p["intl"][p["j"] % len(p["intl"])]
            p["j"] += 1
        else:
            name, local = p["ascii"][p["i"] % len(p["ascii"])]
            p["i"] += 1
        local = local or ascii_local(name)
        first, _, last = name.partition(" ")
        if rng.random() < 0.12 and last and all(c.isascii() for c in name):
            name = last + ", " + first  # Outlook's "Last, First"
        if rng.random() < 0.04:
            name = ""  # people whose mail never carries a display name
        domain = rng.choice(self.external_domains) if kind == "external" else self.domain
        base, k = local, 1
        while local + "@" + domain in self.used:
            k += 1
            local = "%s%d" % (base, k)
        self.used.add(local + "@" + domain)
        return Person(local, domain, name, kind, rng.choice(TIMEZONES), rng.choice(MAILERS))

    def pick(self, people, cum):
        return self.rng.choices(people, cum_weights=cum)[0]

    def submitter(self):
        return self.pick(self.submitters, self.submitter_cum)

    def colleague(self):
        return self.pick(self.colleagues, self.colleague_cum)

    def tech(self):
        return self.pick(self.reply_techs, self.tech_cum)


# ---------------------------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------------------------

SUBJECTS = ["Printer on 3rd floor not working", "VPN keeps disconnecting", "Password reset please",
            "Outlook crashes on start", "New laptop for onboarding", "Access to the Finance SharePoint site",
            "Monitor flickering", "Teams audio issue in meeting room B", "Cannot print to PDF",
            "Request: software installation (Visio)", "Wi-Fi drops on the 2nd floor", "Phone extension change",
            "Keyboard replacement", "Shared drive permissions", "MFA token lost", "Laptop very slow since update",
            "Mailbox full", "Badge reader at entrance", "Need a second monitor", "Excel macro blocked"]
SUBJECTS_INTL = ["Drucker im 2. Stock – Papierstau", "Problème d’accès au VPN", "Не работает принтер",
                 "パスワードのリセット", "Zugriff auf Laufwerk Ü: verweigert", "Solicitud: portátil nuevo"]
BODIES = ["Hello,\r\n\r\nit stopped working this morning. Could you have a look?\r\n\r\nThanks",
          "Hi team,\r\n\r\nsee subject. It is quite urgent for me.\r\n\r\nBest regards",
          "Hello,\r\n\r\nthe problem is back again since yesterday.\r\n\r\nKind regards",
          "Hi,\r\n\r\ncan you help? Error code 0x80070005.\r\n\r\nThank you"]


def fmt_date(t, tz, rng):
    if rng.random() < 0.01:
        zone, tz = rng.choice([("GMT", 0), ("UT", 0), ("EST", -300), ("PDT", -420)])
    else:
        zone = "%s%02d%02d" % ("-" if tz < 0 else "+", abs(tz) // 60, abs(tz) % 60)
    d = datetime.datetime.fromtimestamp(t + tz * 60, datetime.timezone.utc)
    return "%s, %02d %s %d %02d:%02d:%02d %s" % (
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d.weekday()], d.day,
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[d.month - 1],
        d.year, d.hour, d.minute, d.second, zone)


def fold_list(name, items):
    """`Name: a, b, c` folded before an item when the line would exceed 78 characters."""
    out, line = [], name + ": "
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(line) + len(piece) > 78 and line.strip() != name + ":":
            out.append(line.rstrip())
            line = " "
        line += piece + " "
    out.append(line.rstrip())
    return CRLF.join(out)


class Generator:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.domain = args.domain.lower()
        people = args.people if args.people else max(30, min(5000, args.messages // 20))
        self.pop = Population(self.rng, people, self.domain)
        self.desk = ["helpdesk@" + self.domain, "support@" + self.domain]
        self.desk_alias = "it-support@" + self.domain
        self.observations = {}  # dedup key -> observation
        self.files = []  # (folder, t, bytes, flags)
        self.seq = 0
        self.ticket = 10000
        self.recent_ids = []
        self.pid = 20000 + args.seed % 40000

    # -- addresses --------------------------------------------------------------------------------------------------

    def mailbox(self, p, local=None, allow_variants=True):
        """Render a mailbox for person p. Returns (text, addr_spec, shown_name)."""
        rng = self.rng
        local = local or p.local
        domain = p.domain
        if allow_variants:
            r = rng.random()
            if r < 0.05:
                local = local.capitalize() if "." not in local else ".".join(s.capitalize() for s in local.split("."))
            elif r < 0.06:
                local = local.upper()
            elif r < 0.07:
                domain = domain.capitalize() if "." not in domain else domain[0].upper() + domain[1:].upper()
        addr = local + "@" + domain
        if allow_variants and rng.random() < 0.003 and "'" not in local:
            addr = '"' + local + '"@' + domain  # quoted local part that is a valid dot-atom
        if not p.name:
            return addr, addr, ""
        r = rng.random()
        if r < 0.06:
            return addr, addr, ""  # bare
        if r < 0.09 and all(c.isascii() for c in p.name) and "," not in p.name:
            return "%s (%s)" % (addr, p.name), addr, ""  # comment: not a display name
        text = "%s <%s>" % (render_name(p.name, rng), addr)
        if r > 0.985:
            text += " (%s)" % rng.choice(["IT", "Finance", "HR", "via phone"])
        return text, addr, p.name

    def desk_box(self, which=None):
        rng = self.rng
        r = rng.random()
        if which is None:
            if r < 0.08:
                addr = self.desk_alias
            elif r < 0.3:
                addr = self.desk[1]
            else:
                addr = self.desk[0]
        else:
            addr = which
        if rng.random() < 0.04:
            local, _, dom = addr.partition("@")
            addr = local.capitalize() + "@" + dom.capitalize()
        name = rng.choice(["IT Helpdesk", "IT Support", "Help Desk", ""])
        text = ("%s <%s>" % (name, addr)) if name else addr
        return text, addr, name

    def system_box(self, local, name, domain=None):
        addr = local + "@" + (domain or self.domain)
        return ("%s <%s>" % (name, addr)) if name else addr, addr, name

    # -- message assembly -------------------------------------------------------------------------------------------

    def message_id(self, host):
        self.seq += 1
        return "<%016x.%d@%s>" % (self.rng.getrandbits(64), self.seq, host)

    def build(self, t, tz, headers, addr_fields, subject_text, body, folder, flags, extra_copy=None,
              content_type="text/plain; charset=utf-8"):
        """Assemble and record one message.

        headers: (name, value) pairs other than address fields; the trace fields (Return-Path, Received,
        Delivered-To) go on top, as a delivery agent writes them. addr_fields: (field, [(text, addr_spec, name)],
        group name or None). extra_copy: trace fields of a second copy delivered to INBOX (a Sent message that
        Cc'd the desk): same message, same Message-ID, seen in two folders."""
        rng = self.rng
        lines, fields = [], []
        for field, boxes, group in addr_fields:
            for b in boxes:
                fields.append((field.lower(), b[1], b[2]))
            items = [b[0] for b in boxes]
            if group is not None:
                if items:
                    items[0] = group + ": " + items[0]
                    items[-1] += ";"
                else:
                    items = [group + ":;"]
            lines.append(fold_list(field, items))
        all_headers = list(headers)
        all_headers.append(("Subject", subject_text))
        all_headers.append(("Date", fmt_date(t, tz, rng)))
        all_headers.append(("MIME-Version", "1.0"))
        if content_type:
            all_headers.append(("Content-Type", content_type))
        automated = is_automated(all_headers)
        mid = next((v for n, v in all_headers if n == "Message-ID"), None)
        trace_names = ("Return-Path", "Received", "Delivered-To")
        head = ["%s: %s" % (n, v) for n, v in all_headers if n not in trace_names]
        trace = ["%s: %s" % (n, v) for n, v in all_headers if n in trace_names]
        block = (lines + head) if rng.random() < 0.5 else (head[:1] + lines + head[1:])
        data = (CRLF.join(trace + block) + CRLF + CRLF + body + CRLF).encode("utf-8")
        folders = {folder}
        self.files.append((folder, t, data, flags))
        if extra_copy is not None:
            copy = ["%s: %s" % (n, v) for n, v in extra_copy]
            data2 = (CRLF.join(copy + block) + CRLF + CRLF + body + CRLF).encode("utf-8")
            self.files.append(("incoming", t, data2, rng.choice(["S", "S", ""])))
            folders.add("incoming")
        self.seq += 1
        key = mid if mid else "no-message-id:%d" % self.seq
        assert key not in self.observations, key
        self.observations[key] = {"folders": folders, "automated": automated, "date": t, "fields": fields}
        if mid and len(self.recent_ids) < 64:
            self.recent_ids.append(mid)
        elif mid:
            self.recent_ids[rng.randrange(64)] = mid

    def subject(self, base=None, reply=False, ticket=None):
        rng = self.rng
        s = base or (rng.choice(SUBJECTS_INTL) if rng.random() < 0.08 else rng.choice(SUBJECTS))
        if ticket:
            s = "[HD-%d] %s" % (ticket, s)
        if reply:
            s = rng.choice(["Re: ", "RE: ", "AW: ", "Re: "]) + s
        if all(c.isascii() for c in s):
            return s
        charset = next((c for c in ("iso-8859-1", "windows-1252", "koi8-r", "shift_jis") if encodable(s, c)), "utf-8")
        if rng.random() < 0.5:
            charset = "utf-8"
        return (CRLF + " ").join(encoded_words(s, charset, rng.choice("BQ")))

    def common(self, p_from_domain, mailer=None, suppress=True):
        rng = self.rng
        h = []
        if rng.random() > 0.004:
            host = rng.choice(["mail.", "EXCH01.", "smtp.", ""]) + p_from_domain
            h.append(("Message-ID", self.message_id(host)))
        if mailer:
            h.append(("X-Mailer" if rng.random() < 0.5 else "User-Agent", mailer))
        if suppress and rng.random() < 0.18:
            h.append(("X-Auto-Response-Suppress", "All"))  # NOT automation
        if rng.random() < 0.02:
            h.append(("Auto-Submitted", "no"))  # explicitly not automated
        return h

    def delivery(self, t, envelope_from, to_addr="helpdesk"):
        h = [("Return-Path", "<%s>" % envelope_from),
             ("Delivered-To", "%s@%s" % (to_addr, self.domain)),
             ("Received", "from mx1.%s (mx1.%s [192.0.2.25])\r\n\tby imap.%s with LMTP; %s"
              % (self.domain, self.domain, self.domain, fmt_date(t, 0, self.rng)))]
        return h

    def ccs(self, k_max=3, exclude=()):
        rng = self.rng
        k = rng.choice([0, 0, 0, 1, 1, 2, k_max])
        out, seen = [], set(exclude)
        for _ in range(k):
            c = self.pop.colleague()
            if c.address not in seen:
                seen.add(c.address)
                out.append(c)
        return out

    def from_box(self, p):
        """A person's From, sometimes through an alias or a plus-tag."""
        rng = self.rng
        if p.aliases and rng.random() < 0.35:
            return self.mailbox(p, local=p.aliases[0])
        if rng.random() < 0.02 and p.kind == "employee":
            return self.mailbox(p, local=p.local + "+" + rng.choice(["it", "tickets", "printer"]))
        return self.mailbox(p)

    # -- traffic types ----------------------------------------------------------------------------------------------

    def request(self, t, p=None, ticket=None, reply=False, cc_tech=None, use_alias=False):
        rng = self.rng
        p = p or self.pop.submitter()
        h = self.common(p.domain, p.mailer)
        fb = self.mailbox(p, local=p.aliases[0]) if use_alias else self.from_box(p)
        to = [self.desk_box()]
        afields = [("From", [fb], None)]
        r = rng.random()
        ccp = self.ccs(exclude=(p.address,))
        if r < 0.01:
            afields.append(("To", [], "undisclosed-recipients"))  # the desk was in Bcc
        elif r < 0.04 and len(ccp) >= 2 and cc_tech is None:
            afields.append(("To", to, None))
            afields.append(("Cc", [self.mailbox(c) for c in ccp], rng.choice(["Team", "Project Falcon", "Finance"])))
            ccp = []
        else:
            afields.append(("To", to, None))
        boxes = [self.mailbox(c) for c in ccp]
        if cc_tech is not None:
            boxes.append(self.mailbox(cc_tech))
        if boxes:
            afields.append(("Cc", boxes, None))
        if reply and self.recent_ids:
            mid = rng.choice(self.recent_ids)
            h += [("In-Reply-To", mid), ("References", mid)]
        subj = self.subject(reply=reply, ticket=ticket)
        h += self.delivery(t, fb[1])
        self.build(t, p.tz, h, afields, subj, rng.choice(BODIES), "incoming", self.inbox_flags())

    def inbox_flags(self):
        r = self.rng.random()
        return "" if r < 0.15 else "RS" if r < 0.35 else "FS" if r < 0.38 else "S"

    def tech_reply(self, t, tech=None, cc_desk=None):
        rng = self.rng
        tech = tech or self.pop.tech()
        emp = self.pop.submitter() if rng.random() < 0.95 else self.pop.colleague()
        self.ticket += 1
        h = self.common(tech.domain, tech.mailer)
        if cc_desk is None:
            cc_desk = rng.random() < 0.12
        if cc_desk and not any(n == "Message-ID" for n, _ in h):
            h.insert(0, ("Message-ID", self.message_id("mail." + self.domain)))
        afields = [("From", [self.from_box(tech)], None)]
        if rng.random() < 0.04:
            team = [emp] + [self.pop.colleague() for _ in range(2)]
            uniq = list({c.address: c for c in team}.values())
            afields.append(("To", [self.mailbox(c) for c in uniq], rng.choice(["Finance Team", "Sales"])))
        else:
            afields.append(("To", [self.mailbox(emp)], None))
        cc = [self.desk_box(self.desk[0])] if cc_desk else []
        cc += [self.mailbox(c) for c in self.ccs(k_max=2, exclude=(emp.address, tech.address))]
        if cc:
            afields.append(("Cc", cc, None))
        if rng.random() < 0.05:
            afields.append(("Bcc", [self.mailbox(self.pop.colleague())], None))
        if rng.random() < 0.3:
            afields.append(("Reply-To", [self.desk_box(self.desk[0])], None))
        if self.recent_ids:
            mid = rng.choice(self.recent_ids)
            h += [("In-Reply-To", mid)]
        extra = self.delivery(t, tech.address) if cc_desk else None
        self.build(t, tech.tz, h, afields, self.subject(reply=True, ticket=self.ticket),
                   "Hello,\r\n\r\nplease try again now, it should work.\r\n\r\nRegards\r\nIT Helpdesk",
                   "outgoing", "S", extra_copy=extra)
        return cc_desk

    def desk_on_behalf(self, t, tech=None):
        """Exchange "send on behalf": From the desk's mailbox, Sender the technician (Sent folder)."""
        rng = self.rng
        tech = tech or rng.choice(self.pop.other_techs + [self.pop.desk_sender_only] * 2)
        emp = self.pop.submitter()
        self.ticket += 1
        h = self.common(self.domain, "Microsoft Outlook 16.0")
        afields = [("From", [self.desk_box(self.desk[0])], None), ("Sender", [self.mailbox(tech)], None),
                   ("To", [self.mailbox(emp)], None)]
        self.build(t, tech.tz, h, afields, self.subject(reply=True, ticket=self.ticket),
                   "Hello,\r\n\r\nyour ticket has been resolved.\r\n\r\nIT Helpdesk", "outgoing", "S")

    def ack(self, t):
        """The desk's automatic acknowledgement (Sent): its recipients count."""
        rng = self.rng
        emp = self.pop.submitter()
        self.ticket += 1
        h = [("Message-ID", self.message_id("helpdesk." + self.domain)), ("Auto-Submitted", "auto-replied"),
             ("X-Auto-Response-Suppress", "All")]
        afields = [("From", [self.desk_box(self.desk[0])], None), ("To", [self.mailbox(emp)], None)]
        if rng.random() < 0.15:
            afields.append(("Cc", [self.mailbox(c) for c in self.ccs(k_max=2, exclude=(emp.address,))] or
                            [self.mailbox(self.pop.colleague())], None))
        if rng.random() < 0.5:
            afields.append(("Reply-To", [self.desk_box(self.desk[1])], None))
        self.build(t, 120, h, afields, self.subject(ticket=self.ticket) if rng.random() < 0.5 else
                   "Ticket received: [HD-%d]" % self.ticket,
                   "We have received your request and will get back to you shortly.", "outgoing", "S")

    def on_behalf(self, t, assistant=None):
        rng = self.rng
        a = assistant or rng.choice(self.pop.by_kind["assistant"])
        boss = a.boss
        h = self.common(self.domain, "Microsoft Outlook 16.0")
        fb = self.mailbox(boss)
        afields = [("From", [fb], None), ("Sender", [self.mailbox(a)], None), ("To", [self.desk_box()], None)]
        if rng.random() < 0.3:
            afields.append(("Cc", [self.mailbox(a)], None))
        h += self.delivery(t, a.address)
        self.build(t, a.tz, h, afields, self.subject(), rng.choice(BODIES), "incoming", self.inbox_flags())

    def sender_same(self, t):
        """Trap: a Sender that is the From person (other case / no display name / other encoding): not on behalf."""
        rng = self.rng
        p = self.pop.submitter()
        h = self.common(p.domain, p.mailer)
        fb = self.mailbox(p, allow_variants=False)
        variant = rng.random()
        if variant < 0.5:
            sb = (p.local.upper() + "@" + p.domain, p.local.upper() + "@" + p.domain, "")
        else:
            sb = self.mailbox(p)
        afields = [("From", [fb], None), ("Sender", [sb], None), ("To", [self.desk_box()], None)]
        h += self.delivery(t, p.address)
        self.build(t, p.tz, h, afields, self.subject(), rng.choice(BODIES), "incoming", self.inbox_flags())

    def resent(self, t, fwd=None):
        rng = self.rng
        fwd = fwd or rng.choice(self.pop.by_kind["forwarder"])
        orig = rng.choice(self.pop.by_kind["external"]) if rng.random() < 0.5 else self.pop.submitter()
        if orig is fwd:
            orig = rng.choice(self.pop.by_kind["external"])
        h = self.common(orig.domain, orig.mailer, suppress=False)
        h += [("Resent-Date", fmt_date(t + 3600, fwd.tz, rng)), ("Resent-Message-ID", self.message_id("mail." + self.domain))]
        afields = [("Resent-From", [self.mailbox(fwd)], None), ("Resent-To", [self.desk_box(self.desk[0])], None),
                   ("From", [self.mailbox(orig)], None), ("To", [self.mailbox(fwd)], None)]
        h += self.delivery(t, fwd.address)
        self.build(t, orig.tz, h, afields, self.subject(), rng.choice(BODIES), "incoming", self.inbox_flags())

    def ooo(self, t, p=None):
        rng = self.rng
        p = p or (rng.choice(self.pop.by_kind["ooo_only"]) if rng.random() < 0.2 else self.pop.submitter())
        h = []
        if rng.random() < 0.9:
            h.append(("Message-ID", self.message_id("EXCH01." + self.domain)))
        r = rng.random()
        h.append(("Auto-Submitted", "auto-replied" if r < 0.8 else "auto-generated"))
        if rng.random() < 0.3:
            h.append(("X-Autoreply", "yes"))
        if rng.random() < 0.3:
            h.append(("Precedence", "bulk"))
        h.append(("X-Auto-Response-Suppress", "All"))
        afields = [("From", [self.mailbox(p)], None), ("To", [self.desk_box(self.desk[0])], None)]
        h += self.delivery(t, "" if rng.random() < 0.4 else p.address)
        self.build(t, p.tz, h, afields, "Automatic reply: " + self.subject(reply=True, ticket=self.ticket),
                   "I am out of the office until next Monday with limited access to e-mail.", "incoming",
                   self.inbox_flags())

    def bounce(self, t):
        rng = self.rng
        h = []
        if rng.random() < 0.7:
            h.append(("Message-ID", self.message_id("mx1." + self.domain)))
        if rng.random() < 0.5:
            h.append(("Auto-Submitted", "auto-replied"))
        boundary = "%016x/mx1.%s" % (rng.getrandbits(64), self.domain)
        frm = self.system_box("MAILER-DAEMON", "Mail Delivery System") if rng.random() < 0.7 else \
            self.system_box("postmaster", "Postmaster")
        afields = [("From", [frm], None), ("To", [self.desk_box(self.desk[0])], None)]
        h += self.delivery(t, "")
        lost = "someone%d@%s" % (rng.randrange(1000), rng.choice(self.pop.external_domains))
        body = ("This is a MIME-encapsulated message.\r\n\r\n--%s\r\nContent-Type: text/plain\r\n\r\n"
                "Delivery to %s failed permanently.\r\n\r\n--%s\r\nContent-Type: message/delivery-status\r\n\r\n"
                "Reporting-MTA: dns; mx1.%s\r\n\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                "\r\n--%s--" % (boundary, lost, boundary, self.domain, lost, boundary))
        self.build(t, 0, h, afields, "Undelivered Mail Returned to Sender", body, "incoming", self.inbox_flags(),
                   content_type='multipart/report; report-type=delivery-status;\r\n\tboundary="%s"' % boundary)

    def list_mail(self, t):
        rng = self.rng
        lists = [(n, d) for n, d in (("sysadmins", "lists.opsvendor.example"),
                                     ("security-announce", "lists.fabrikam.example"),
                                     ("announce", "lists.example.net")) if not related(d, self.domain)]
        lname, ldom = rng.choice(lists)
        r = rng.random()
        poster = rng.choice(self.pop.by_kind["list_only"]) if r < 0.2 else \
            self.pop.submitter() if r < 0.4 else rng.choice(self.pop.by_kind["external"])
        h = [("Message-ID", self.message_id("mail." + poster.domain)), ("List-Id", "<%s.%s>" % (lname, ldom)),
             ("List-Unsubscribe", "<mailto:%s-leave@%s>" % (lname, ldom))]
        if rng.random() < 0.8:
            h.append(("Precedence", "list"))
        afields = [("From", [self.mailbox(poster)], None),
                   ("Sender", [self.system_box(lname + "-bounces", "", ldom)], None),
                   ("To", [self.system_box(lname, "", ldom)], None), ("Cc", [self.desk_box(self.desk[1])], None)]
        h += self.delivery(t, lname + "-bounces@" + ldom, "support")
        self.build(t, poster.tz, h, afields, "[%s] %s" % (lname, self.subject()), "List traffic.", "incoming",
                   self.inbox_flags())

    def notification(self, t):
        rng = self.rng
        r = rng.random()
        h = [("Message-ID", self.message_id("notifications." + self.domain))] if rng.random() < 0.9 else []
        if r < 0.6:
            frm = self.system_box("noreply", rng.choice(["Monitoring", "Backup Server", ""]),
                                  "notifications." + self.domain)
            h.append(("Auto-Submitted", "auto-generated"))
            if rng.random() < 0.5:
                h.append(("Precedence", "bulk"))
        elif r < 0.75:
            frm = self.system_box("alerts", "Alerting", "notifications." + self.domain)  # ignored, not automated
        elif r < 0.9:
            frm = self.system_box("no-reply", "HR Portal")  # system sender, no automation header
        else:
            frm = self.system_box("do-not-reply", "Password Expiry")
        afields = [("From", [frm], None), ("To", [self.desk_box(self.desk[0])], None)]
        h += self.delivery(t, frm[1])
        self.build(t, 0, h, afields, rng.choice(["Disk space low on fs01", "Backup job completed",
                                                 "Password expires in 7 days", "New hire: onboarding form"]),
                   "Automated notification.", "incoming", self.inbox_flags())

    def external(self, t, p=None):
        rng = self.rng
        p = p or rng.choice(self.pop.by_kind["external"])
        h = self.common(p.domain, p.mailer)
        afields = [("From", [self.mailbox(p)], None), ("To", [self.desk_box(self.desk[1])], None)]
        if rng.random() < 0.2:
            afields.append(("Cc", [self.mailbox(self.pop.colleague())], None))
        h += self.delivery(t, p.address, "support")
        self.build(t, p.tz, h, afields, self.subject(), rng.choice(BODIES), "incoming", self.inbox_flags())

    # -- the whole mailbox ------------------------------------------------------------------------------------------

    def run(self):
        rng = self.rng
        n = self.args.messages
        pop = self.pop
        # Mandatory messages: everyone in a special role shows up at least once.
        mandatory = []
        for tch in pop.reply_techs:
            mandatory.append(("tech_reply", tch))
        mandatory.append(("desk_on_behalf", pop.desk_sender_only))
        for a in pop.by_kind["assistant"]:
            mandatory.append(("on_behalf", a))
        for f in pop.by_kind["forwarder"]:
            mandatory.append(("resent", f))
        for o in pop.by_kind["ooo_only"]:
            mandatory.append(("ooo", o))
        for p in pop.alias_people:
            mandatory.append(("alias", p))
        for kind in ("ack", "bounce", "list", "notification", "external", "sender_same", "dup"):
            mandatory.append((kind, None))
        mandatory.append(("ooo", pop.submitters[0]))
        if len(mandatory) + 1 > n:
            sys.exit("gen_helpdesk: --messages %d is too small for %d people (needs at least %d); lower --people"
                     % (n, sum(len(v) for v in pop.by_kind.values()), len(mandatory) + 1))
        weights = [("request", 40), ("followup", 10), ("tech_reply", 20), ("desk_on_behalf", 2), ("ack", 7),
                   ("on_behalf", 2), ("resent", 1), ("ooo", 3), ("bounce", 1), ("list", 2), ("notification", 5),
                   ("external", 5), ("sender_same", 1)]
        kinds = [k for k, _ in weights]
        cum, total = [], 0
        for _, w in weights:
            total += w
            cum.append(total)
        start = int(datetime.datetime.strptime(self.args.start, "%Y-%m-%d")
                    .replace(tzinfo=datetime.timezone.utc).timestamp())
        span = self.args.weeks * 7 * 86400
        times = sorted(rng.sample(range(start + 7200, start + span), n))
        plan = mandatory + [(k, None) for k in rng.choices(kinds, cum_weights=cum, k=n)]
        for kind, who in plan:
            if len(self.files) >= n:
                break
            t = times[len(self.files)]
            room_for_dup = n - len(self.files) >= 2
            if kind == "request":
                self.request(t)
            elif kind == "alias":
                self.request(t, p=who, use_alias=True)
            elif kind == "followup":
                self.request(t, reply=True, ticket=rng.randrange(10000, self.ticket + 1), cc_tech=pop.tech())
            elif kind == "tech_reply":
                self.tech_reply(t, tech=who, cc_desk=(False if not room_for_dup else None))
            elif kind == "dup":
                self.tech_reply(t, cc_desk=room_for_dup)
            elif kind == "desk_on_behalf":
                self.desk_on_behalf(t, tech=who)
            elif kind == "ack":
                self.ack(t)
            elif kind == "on_behalf":
                self.on_behalf(t, assistant=who)
            elif kind == "resent":
                self.resent(t, fwd=who)
            elif kind == "ooo":
                self.ooo(t, p=who)
            elif kind == "bounce":
                self.bounce(t)
            elif kind == "list":
                self.list_mail(t)
            elif kind == "notification":
                self.notification(t)
            elif kind == "external":
                self.external(t)
            elif kind == "sender_same":
                self.sender_same(t)
        assert len(self.files) == n, (len(self.files), n)

    # -- output -----------------------------------------------------------------------------------------------------

    def organization(self):
        pop = self.pop
        aliases = {self.desk_alias: self.desk[0]}
        for p in pop.alias_people:
            for a in p.aliases:
                aliases[a + "@" + p.domain] = p.address
        return {
            "helpdesk_addresses": list(self.desk),
            "internal_domains": [self.domain],
            "count_external": False,
            "agents": {"addresses": sorted(t.address for t in pop.roster_techs), "domains": []},
            "aliases": aliases,
            "ignore": ["*@notifications." + self.domain],
            "fold_plus_tags": bool(self.args.fold_plus_tags),
            "fold_local_part_case": True,
        }

    def write(self):
        out = self.args.out
        md = os.path.join(out, "Maildir")
        for sub in ("", ".Sent"):
            for leaf in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(md, sub, leaf), exist_ok=True)
        with open(os.path.join(md, ".Sent", "maildirfolder"), "wb"):
            pass
        with open(os.path.join(md, "subscriptions"), "w") as f:
            f.write("Sent\n")
        counts = {"INBOX": 0, "Sent": 0}
        rng = random.Random(self.args.seed ^ 0x5EA7)
        owner = None
        if self.args.owner:
            uid, _, gid = self.args.owner.partition(":")
            owner = (int(uid), int(gid or uid))
        jobs = []
        for q, (folder, t, data, flags) in enumerate(self.files, 1):
            size = len(data)
            name = "%d.M%dP%dQ%d.seatmeter,S=%d,W=%d:2,%s" % (t, rng.randrange(1000000), self.pid, q, size, size, flags)
            if folder == "incoming":
                jobs.append((os.path.join(md, "cur", name), t, data))
                counts["INBOX"] += 1
            else:
                jobs.append((os.path.join(md, ".Sent", "cur", name), t, data))
                counts["Sent"] += 1

        def write_file(job):
            path, t, data = job
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, data)
                if owner:
                    os.fchown(fd, *owner)
                os.utime(fd, (t, t))
            finally:
                os.close(fd)

        def write_slice(k):
            for job in jobs[k::8]:
                write_file(job)

        # File creation dominates on a busy disk; the syscalls release the GIL, so a few threads help.
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            for _ in pool.map(write_slice, range(8)):
                pass
        org = self.organization()
        people, excluded = classify(self.observations.values(), org)
        truth = {"people": people, "excluded": excluded, "messages": len(self.files),
                 "distinct_messages": len(self.observations), "folders": counts, "organization": org,
                 "generator": {"seed": self.args.seed, "domain": self.domain, "start": self.args.start,
                               "weeks": self.args.weeks,
                               "people": sum(len(v) for v in self.pop.by_kind.values())}}
        with open(os.path.join(out, "truth.json"), "w") as f:
            json.dump(truth, f, indent=1, ensure_ascii=False, sort_keys=False)
            f.write("\n")
        with open(os.path.join(out, "seatmeter-org.yaml"), "w") as f:
            f.write(org_yaml(org))
        if owner:
            os.chown(out, *owner)
            for root, _, _ in os.walk(md):
                os.chown(root, *owner)  # the message files were chowned as they were written
            for path in (os.path.join(md, "subscriptions"), os.path.join(md, ".Sent", "maildirfolder")):
                os.chown(path, *owner)
        return truth


def org_yaml(org):
    q = lambda s: json.dumps(s, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
    lines = ["organization:",
             "  helpdesk_addresses: [%s]" % ", ".join(q(a) for a in org["helpdesk_addresses"]),
             "  internal_domains: [%s]" % ", ".join(q(d) for d in org["internal_domains"]),
             "  count_external: %s" % ("true" if org["count_external"] else "false"),
             "  agents:",
             "    addresses:"]
    lines += ["      - %s" % q(a) for a in org["agents"]["addresses"]]
    lines += ["  aliases:"]
    lines += ["    %s: %s" % (q(k), q(v)) for k, v in org["aliases"].items()]
    lines += ["  ignore: [%s]" % ", ".join(q(p) for p in org["ignore"]),
              "  fold_plus_tags: %s" % ("true" if org["fold_plus_tags"] else "false"),
              "  fold_local_part_case: %s" % ("true" if org["fold_local_part_case"] else "false")]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--messages", type=int, required=True, help="message files to write (INBOX + Sent)")
    ap.add_argument("--people", type=int, default=0, help="people (default: messages/20, 30..5000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--domain", default="example.com")
    ap.add_argument("--start", default="2026-06-01", help="first day (UTC), YYYY-MM-DD")
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--owner", help="UID:GID to chown DIR and the Maildir to (e.g. 65534:65534 for Dovecot as root)")
    ap.add_argument("--fold-plus-tags", action="store_true", help="write fold_plus_tags: true and fold in the truth")
    args = ap.parse_args(argv)
    if args.messages < 1:
        ap.error("--messages must be positive")
    if args.weeks * 7 * 86400 < args.messages + 7200:
        ap.error("--weeks too short for one message per second")
    gen = Generator(args)
    gen.run()
    truth = gen.write()
    roles = {}
    for p in truth["people"]:
        roles[p["role"]] = roles.get(p["role"], 0) + 1
    print(json.dumps({"out": args.out, "messages": truth["messages"], "folders": truth["folders"],
                      "people": len(truth["people"]), "roles": roles, "excluded": len(truth["excluded"])}))


if __name__ == "__main__":
    main()
