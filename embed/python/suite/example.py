# pip install infomaniak_block_storage-0.2.0-py3-none-any.whl (built by embed/run.sh)
# python example.py [<volume-id> <new-name>]: given a volume, also renames and tags it
import os
import sys

from infomaniak_block_storage import ApplicationCredential, BlockStorageError, Config, ListOptions, ResourceUpdate, connect

env = os.environ
config = Config(
    auth_url=env["OS_AUTH_URL"],
    region=env.get("OS_REGION_NAME"),  # None: the first region of the catalog
    credentials=ApplicationCredential(env["OS_APPLICATION_CREDENTIAL_ID"], env["OS_APPLICATION_CREDENTIAL_SECRET"]),
)


def most(n: int | None) -> str:  # a maximum of None is unlimited
    return "unlimited" if n is None else str(n)


try:
    with connect(config) as s:  # the component logs each failed call to stderr
        q = s.project.limits()
        print(f"volumes {q.volumes_used}/{most(q.max_volumes)}, GiB {q.gigabytes_used}/{most(q.max_gigabytes)}")
        # The 5 newest volumes: one request, however many there are.
        for v in s.volumes.list(ListOptions(limit=5, sort="created_at:desc")):
            print(v.id, v.status, f"{v.size} GiB", v.name or "-")
        if len(sys.argv) == 3:
            volume_id, new_name = sys.argv[1:]
            v = s.volumes.update(volume_id, ResourceUpdate(name=new_name))  # the description is left as it is
            metadata = s.volumes.set_metadata(volume_id, {"renamed-by": "example.py"})  # all of it, sorted by key
            print(f"{v.id} is now {v.name}:", " ".join(f"{k}={val}" for k, val in metadata))
except BlockStorageError as e:  # e.g. UnauthorizedError: kind, status, message, request_id, retry_after
    sys.exit(f"{type(e).__name__}: {e} (request {e.request_id or '-'})")
