#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from the real Cinder 29.0.0 transcript.

    python3 fuzz/make-seeds.py [TRANSCRIPT]   # default host-test/fixtures/real-cinder-transcript.txt

- fuzz/corpus/decode/: each distinct response body of the transcript, raw.
- fuzz/corpus/client/: scenarios in the client target's format (see fuzz/README.md): a
  plan line, then NUL-separated answer records built from the transcript's responses,
  routed by the request they answered. Keystone and Nova do not appear in the transcript
  (Cinder ran with noauth, without Nova): their bodies here are written by hand after the
  Keystone v3 / Nova 2.89 API references.

Deterministic; rewrites only `seed-*` files (regression inputs found by fuzzing are kept).
"""

import hashlib
import os
import re
import sys
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSCRIPT = os.path.join(ROOT, "host-test/fixtures/real-cinder-transcript.txt")
OUT = os.path.join(ROOT, "fuzz/corpus")

# Answer headers kept in client records (the ones the client reads, plus Content-Type).
KEEP_HEADERS = ("content-type", "x-openstack-request-id", "x-compute-request-id", "retry-after", "location")

KEYSTONE_TOKEN = (
    '{"token": {"methods": ["application_credential"], "user": {"id": "u1", "name": "fuzz", '
    '"domain": {"id": "default", "name": "Default"}}, "audit_ids": ["a1"], '
    '"expires_at": "2026-11-26T09:00:00.000000Z", "issued_at": "2026-11-26T08:00:00.000000Z", '
    '"project": {"id": "p1", "name": "fuzz", "domain": {"id": "default", "name": "Default"}}, '
    '"is_domain": false, "roles": [{"id": "r1", "name": "member"}], "catalog": ['
    '{"type": "volumev2", "name": "cinderv2", "id": "s0", "endpoints": ['
    '{"id": "e0", "interface": "public", "region_id": "dc3-a", "url": "https://bs.example/volume/v2/p1", "region": "dc3-a"}]}, '
    '{"type": "block-storage", "name": "cinder", "id": "s1", "endpoints": ['
    '{"id": "e1", "interface": "public", "region_id": "dc3-a", "url": "https://bs.example/volume/v3/p1", "region": "dc3-a"}, '
    '{"id": "e2", "interface": "internal", "region_id": "dc3-a", "url": "https://bs.internal/volume/v3", "region": "dc3-a"}]}, '
    '{"type": "volumev3", "name": "cinderv3", "id": "s2", "endpoints": ['
    '{"id": "e3", "interface": "public", "region_id": "dc4-a", "url": "https://bs4.example/volume/v3/p1", "region": "dc4-a"}]}, '
    '{"type": "compute", "name": "nova", "id": "s3", "endpoints": ['
    '{"id": "e4", "interface": "public", "region_id": "dc3-a", "url": "https://nova.example/compute/v2.1", "region": "dc3-a"}, '
    '{"id": "e5", "interface": "internal", "region_id": "dc3-a", "url": "https://nova.internal/compute/v2.1", "region": "dc3-a"}]}'
    "]}}"
)
KEYSTONE_401 = (
    '{"error": {"code": 401, "title": "Unauthorized", '
    '"message": "The request you have made requires authentication."}}'
)
NOVA_ATTACH = (
    '{"volumeAttachment": {"device": "/dev/vdb", "serverId": "s1", "tag": null, '
    '"volumeId": "v1", "delete_on_termination": false, '
    '"attachment_id": "979ce4f8-033a-409d-85e6-6b5c0f6a6302", "bdm_uuid": "c088db45-92b8-49e8-81e2-a1b77a144b3b"}}'
)
NOVA_ATTACHMENTS = (
    '{"volumeAttachments": [{"device": "/dev/vdb", "serverId": "s1", "tag": null, "volumeId": "v1", '
    '"delete_on_termination": false, "attachment_id": "979ce4f8-033a-409d-85e6-6b5c0f6a6302", '
    '"bdm_uuid": "c088db45-92b8-49e8-81e2-a1b77a144b3b"}]}'
)
NOVA_404 = '{"itemNotFound": {"code": 404, "message": "Instance s1 could not be found."}}'


def parse_transcript(path):
    """[(method, url, status, headers{lower: value}, body)] in transcript order."""
    text = open(path, encoding="utf-8").read()
    exchanges = []
    for block in re.split(r"\n=+\n", text):
        lines = block.split("\n")
        req = [l[4:] for l in lines if l.startswith(">>> ")]
        if not req or "<<<" not in lines:
            continue
        method, url = req[0].split()[:2]
        rest = lines[lines.index("<<<") + 1 :]
        m = re.match(r"HTTP/1\.1 (\d{3})", rest[0]) if rest else None
        if not m:
            continue
        headers, i = {}, 1
        while i < len(rest) and rest[i].strip():
            k, _, v = rest[i].partition(":")
            headers[k.strip().lower()] = v.strip()
            i += 1
        body_lines = [l for l in rest[i + 1 :] if not l.startswith("... ")]
        body = "\n".join(body_lines).strip("\n")
        exchanges.append((method, url, int(m.group(1)), headers, body.encode()))
    return exchanges


def route(method, url):
    """The client target's route for a request (mirrors `classify` in client.rs)."""
    path = urlsplit(url).path
    segs = path.split("/")
    last, parent = segs[-1], (segs[-2] if len(segs) > 1 else "")
    if method == "POST" and path.endswith("/auth/tokens"):
        return "auth"
    if method == "GET" and path.endswith("/"):
        return "version"
    if "/os-volume_attachments" in path:
        return {"POST": "attach", "GET": "attachments"}.get(method, "action")
    if method == "DELETE":
        return "action"
    if method == "POST":
        return {
            "action": "action",
            "restore": "restore",
            "backups": "backup-create",
            "volumes": "volume",
            "snapshots": "snapshot",
        }.get(last, "any")
    if method == "GET" and last == "detail":
        return {"volumes": "volumes", "snapshots": "snapshots", "backups": "backups"}.get(parent, "any")
    if method == "GET":
        return {"volumes": "volume", "snapshots": "snapshot", "backups": "backup"}.get(parent, "any")
    return "any"


def record(route_name, status, headers, body):
    head = f"{route_name} {status}\n".encode()
    for k in KEEP_HEADERS:
        if k in headers:
            head += f"{k}: {headers[k]}\n".encode()
    return head + b"\n" + body


def client_input(plan, records):
    return b"\0".join([plan.encode()] + records)


def write(dirname, name, data, written):
    d = os.path.join(OUT, dirname)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    written.setdefault(dirname, set()).add(name)


def main():
    exchanges = parse_transcript(sys.argv[1] if len(sys.argv) > 1 else TRANSCRIPT)
    written = {}

    # decode: each distinct body once.
    seen = set()
    for method, url, status, headers, body in exchanges:
        # Bodies of calls the client never makes (quota sets, Cinder's attachments API) only
        # for their faults.
        if not body or body in seen or (route(method, url) == "any" and status < 400):
            continue
        seen.add(body)
        name = f"seed-{route(method, url)}-{status}-{hashlib.sha1(body).hexdigest()[:8]}"
        write("decode", name, body, written)
    for name, body in [
        ("keystone-token", KEYSTONE_TOKEN),
        ("keystone-401", KEYSTONE_401),
        ("nova-attach", NOVA_ATTACH),
        ("nova-attachments", NOVA_ATTACHMENTS),
        ("nova-404", NOVA_404),
    ]:
        write("decode", f"seed-{name}", body.encode(), written)

    # client: the first 2xx answer of each route, from the transcript.
    first_ok = {}
    for method, url, status, headers, body in exchanges:
        r = route(method, url)
        if r != "any" and 200 <= status < 300 and r not in first_ok:
            # Lists: prefer a page that has items.
            if r in ("volumes", "snapshots", "backups") and body.endswith(b": []}"):
                continue
            first_ok[r] = record(r, status, headers, body)
    # The version document the client fetches (the transcript's GET /v3/ with a token).
    version = next(
        record("version", s, h, b)
        for m, u, s, h, b in exchanges
        if m == "GET" and urlsplit(u).path == "/v3/" and s == 200
    )
    first_ok["version"] = version
    auth = record(
        "auth",
        201,
        {"content-type": "application/json", "x-openstack-request-id": "req-keystone"},
        KEYSTONE_TOKEN.encode(),
    ).replace(b"\n\n", b"\nx-subject-token: gAAAAABfuzz\n\n", 1)
    nova = [
        record("attach", 200, {"content-type": "application/json"}, NOVA_ATTACH.encode()),
        record("attachments", 200, {"content-type": "application/json"}, NOVA_ATTACHMENTS.encode()),
    ]
    # A volume is created (`creating`), then reads back `available`, so waits end.
    available = next(
        record("volume", s, h, b)
        for m, u, s, h, b in exchanges
        if m == "GET" and route(m, u) == "volume" and s == 200 and b'"status": "available"' in b
    )
    routes = [first_ok[r] for r in sorted(first_ok) if r != "version"] + [available]
    everything = "glLcxwWdsSnvebBkrRufq"

    write("client", "seed-token-lifecycle", client_input("T@" + everything, [version] + routes), written)
    write(
        "client",
        "seed-appcred-catalog-lifecycle",
        client_input("AA" + everything + "aAD", [auth, version] + routes + nova),
        written,
    )
    write(
        "client",
        "seed-password-internal-pinned",
        client_input("PG" + "gcxaAq", [auth, version] + routes + nova),
        written,
    )
    write(
        "client",
        "seed-appcred-no-project-url",
        client_input("A\x80" + "glq", [auth, version] + routes),
        written,
    )

    # Pagination: the transcript's pages with next links, then the empty last page.
    pages = [
        record("volumes", s, h, b)
        for m, u, s, h, b in exchanges
        if m == "GET" and b'"volumes_links"' in b and "/detail" in u
    ]
    empty = next(record("volumes", s, h, b) for m, u, s, h, b in exchanges if b == b'{"volumes": []}')
    write("client", "seed-volume-list-next-links", client_input("T@lL", [version] + pages + [empty]), written)

    # Waits: creating -> available; then gone (404) for wait-for deleted.
    vol_states = []
    for m, u, s, h, b in exchanges:
        if route(m, u) == "volume" and s in (200, 202) and b'"status": "creating"' in b:
            vol_states.append(record("volume", s, h, b))
            break
    vol_states.append(first_ok["volume"])
    not_found = [
        (m, u, s, h, b) for m, u, s, h, b in exchanges if s == 404 and route(m, u) == "volume"
    ]
    write("client", "seed-volume-wait-available", client_input("T@w", [version] + vol_states), written)
    if not_found:
        m, u, s, h, b = not_found[0]
        write("client", "seed-volume-wait-deleted", client_input("T@W", [version, record("volume", s, h, b)]), written)

    # Re-authentication: a Keystone-style 401, a new token, then the answer.
    write(
        "client",
        "seed-reauth-401",
        client_input(
            "A@g",
            [auth, version, record("volume", 401, {}, KEYSTONE_401.encode()), first_ok["volume"], auth],
        ),
        written,
    )

    # Transient failures (retried for idempotent requests): a gateway 503 with Retry-After,
    # a dropped connection, then the answer.
    write(
        "client",
        "seed-retry-503-transport",
        client_input(
            "T@gd",
            [
                version,
                record("volume", 503, {"retry-after": "1"}, b"<html><body>Service Unavailable</body></html>"),
                b"volume transport\n",
                available,
                record("action", 504, {"content-type": "text/html"}, b"Gateway Timeout"),
                b"action 202\n",
            ],
        ),
        written,
    )

    # Every error answer of the transcript, as the answer to an operation of its route.
    op_for = {"volume": "g", "volumes": "l", "action": "x", "restore": "r", "backup-create": "k",
              "snapshot": "s", "backup": "b", "any": "c"}
    for m, u, s, h, b in exchanges:
        if s < 400:
            continue
        r = route(m, u)
        if r == "any":
            r = "volume"
            op = "gc"
        else:
            op = op_for.get(r, "g")
        if r == "action":
            # extend reads the volume first
            recs = [version, first_ok["volume"], record(r, s, h, b)]
        else:
            recs = [version, record(r, s, h, b)]
        name = f"seed-error-{r}-{s}-{hashlib.sha1(b).hexdigest()[:6]}"
        write("client", name, client_input("T@" + op, recs), written)

    # Drop stale seeds (not regression inputs).
    for dirname, names in written.items():
        d = os.path.join(OUT, dirname)
        for f in os.listdir(d):
            if f.startswith("seed-") and f not in names:
                os.remove(os.path.join(d, f))
    for dirname, names in sorted(written.items()):
        print(f"fuzz/corpus/{dirname}: {len(names)} seed files")


if __name__ == "__main__":
    main()
