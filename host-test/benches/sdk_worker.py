"""openstacksdk side of `cargo bench -p host-test --bench compare`.

A long-lived worker: one JSON command per stdin line, one JSON answer per stdout line, so
the Rust benchmark can alternate it with the other clients round by round. Times are
per operation, in seconds, measured around the SDK calls only.
"""
import itertools
import json
import sys
import time

import openstack
import openstack.exceptions

conn = None
STEPS = ["create", "wait", "extend", "wait", "snapshot", "wait", "backup", "wait", "restore", "wait",
         "attach", "wait", "detach", "wait", "delete"]


def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def lifecycle(server_id):
    bs, compute = conn.block_storage, conn.compute
    v = bs.create_volume(size=1, name="bench-sdk")
    bs.wait_for_status(v, status="available", interval=1, wait=120)
    bs.extend_volume(v, 2)
    v = bs.wait_for_status(bs.get_volume(v.id), status="available", interval=1, wait=120)
    s = bs.create_snapshot(volume_id=v.id, name="bench-sdk")
    bs.wait_for_status(s, status="available", interval=1, wait=120)
    b = bs.create_backup(volume_id=v.id, name="bench-sdk")
    b = bs.wait_for_status(b, status="available", interval=1, wait=120)
    r = bs.restore_backup(b, name="bench-sdk-restored")
    restored = bs.get_volume(r.volume_id)
    bs.wait_for_status(restored, status="available", interval=1, wait=120)
    bs.wait_for_status(b, status="available", interval=1, wait=120)
    compute.create_volume_attachment(server_id, volume_id=v.id)
    bs.wait_for_status(v, status="in-use", interval=1, wait=120)
    compute.delete_volume_attachment(server_id, v.id)
    bs.wait_for_status(v, status="available", interval=1, wait=120)
    for res, delete in ((restored, bs.delete_volume), (b, bs.delete_backup),
                        (s, bs.delete_snapshot), (v, bs.delete_volume)):
        delete(res)
        bs.wait_for_delete(res, interval=1, wait=120)


def call(cmd):
    """One call on `conn.block_storage`, timed, for the table of requests per operation.

    A listing is a generator: it is iterated the way a user would, every item, or only
    the first `take` (`itertools.islice`: no page is fetched beyond them). `microversion`
    pins the proxy's default microversion for this call only. An SDK error is an answer
    (`failed`), not a failure of the benchmark: the table shows it.
    """
    bs = conn.block_storage
    method = getattr(bs, cmd["call"])
    saved = bs.default_microversion
    if "microversion" in cmd:
        bs.default_microversion = cmd["microversion"]
    failed, count = None, None
    t = time.perf_counter()
    try:
        out = method(*cmd.get("args", []), **cmd.get("kwargs", {}))
        if hasattr(out, "__next__"):
            count = sum(1 for _ in itertools.islice(out, cmd.get("take")))
    except openstack.exceptions.SDKException as e:
        failed = str(getattr(e, "status_code", None) or type(e).__name__)
    finally:
        bs.default_microversion = saved
    return {"times": [time.perf_counter() - t], "failed": failed, "count": count}


def handle(cmd):
    global conn
    op = cmd["op"]
    if op == "connect":
        conn = openstack.connect(
            auth_type="v3applicationcredential",
            auth_url=cmd["auth_url"],
            application_credential_id=cmd["id"],
            application_credential_secret=cmd["secret"],
            region_name=cmd["region"],
            interface="public",
            block_storage_api_version="3",
        )
        # First use: authentication and version discovery, outside the timed rounds.
        t = time.perf_counter()
        next(iter(conn.block_storage.volumes(details=True, limit=1)), None)
        conn.compute.get_server(cmd["server"])
        return {"first_use_s": time.perf_counter() - t}
    if op == "get":
        return {"times": timed(lambda: conn.block_storage.get_volume(cmd["id"]), cmd["n"])}
    if op == "list":
        counts = []
        def run():
            counts.append(sum(1 for _ in conn.block_storage.volumes(details=True, limit=cmd["limit"])))
        times = timed(run, cmd["n"])
        return {"times": times, "count": counts[-1]}
    if op == "lifecycle":
        return {"times": timed(lambda: lifecycle(cmd["server"]), cmd["n"])}
    if op == "call":
        return call(cmd)
    if op == "version":
        return {"version": openstack.version.__version__}
    raise ValueError(f"unknown op {op}")


for line in sys.stdin:
    try:
        answer = handle(json.loads(line))
    except Exception as e:  # reported to the benchmark, which fails on it
        answer = {"error": f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
