# pip install wasmtime==50.0.1, then run next to infomaniak_block_storage.wasm
# python example.py [<volume-id> <new-name>]: given a volume, also renames and tags it
import os
import sys
from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker, Record, Variant

class Rec(Record):  # a WIT record: attributes named as in the WIT, fields not given are none
    def __init__(self, **fields): self.__dict__.update({k.replace("_", "-"): v for k, v in fields.items()})
    def __getattr__(self, name):
        if name.startswith("__"): raise AttributeError(name)

engine = Engine()
linker = Linker(engine)
linker.add_wasip2()
linker.add_wasi_http()
store = Store(engine)
wasi = WasiConfig()
wasi.inherit_stderr()  # the component logs each failed call there
store.set_wasi(wasi)
store.set_wasi_http()
instance = linker.instantiate(store, Component.from_file(engine, "infomaniak_block_storage.wasm"))

def call(interface, func, *args):  # a WIT error comes back as Variant(tag, payload): raise it
    i = instance.get_export_index(store, f"infomaniak:block-storage/{interface}@0.2.0")
    r = instance.get_func(store, instance.get_export_index(store, func, i))(store, *args)
    if isinstance(r, Variant):
        raise SystemExit(f"{func}: {r.tag}: {vars(r.payload) if isinstance(r.payload, Record) else r.payload}")
    return r

env = os.environ
cred = Rec(id=env["OS_APPLICATION_CREDENTIAL_ID"], secret=env["OS_APPLICATION_CREDENTIAL_SECRET"])
cfg = Rec(auth_url=env["OS_AUTH_URL"], region=env.get("OS_REGION_NAME"), credentials=Variant("application-credential", cred))
session = call("session", "connect", cfg)
q = vars(call("project", "limits", session))  # kebab-case keys; a maximum of None is unlimited
def most(n): return "unlimited" if n is None else n
print(f"volumes {q['volumes-used']}/{most(q['max-volumes'])}, GiB {q['gigabytes-used']}/{most(q['max-gigabytes'])}")
# The 5 newest volumes: one request, however many there are.
for v in call("volumes", "list", session, Rec(limit=5, sort="created_at:desc", metadata=[])):
    print(v.id, v.status, f"{v.size} GiB", v.name or "-")
if len(sys.argv) == 3:
    volume_id, new_name = sys.argv[1:]
    v = call("volumes", "update", session, volume_id, Rec(name=new_name))  # the description is left as it is
    metadata = call("volumes", "set-metadata", session, volume_id, [("renamed-by", "example.py")])  # all, sorted by key
    print(f"{v.id} is now {v.name}:", " ".join(f"{k}={val}" for k, val in metadata))
