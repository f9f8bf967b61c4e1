//! Raw bytes straight into every response decoder: the resource wire types, the Keystone
//! token answer and catalog, the Cinder version document, the fault-body parser
//! (`error::from_response`) and the small text parsers (timestamps, microversions, URLs).
//! Decoders that are private to their module (created backup, restore, Nova attachments)
//! are reached through the public operations over a session whose every Cinder and Nova
//! answer is the input. The property: nothing panics.

#![no_main]

use infomaniak_block_storage::auth::{self, BLOCK_STORAGE_TYPES, COMPUTE_TYPES};
use infomaniak_block_storage::client::{decode, Client};
use infomaniak_block_storage::http::{Io, Method, Request, Response, Url};
use infomaniak_block_storage::version::{self, Microversion};
use infomaniak_block_storage::wire::{Many, One};
use infomaniak_block_storage::{attachments, backups, error, project, resource, snapshots, volumes};
use infomaniak_block_storage::{
    Backup, BackupCreate, Config, Credentials, Error, ListOptions, ResourceUpdate, Snapshot, SnapshotCreate, Volume,
    VolumeCreate,
};
use libfuzzer_sys::fuzz_target;

const VERSIONS: &[u8] =
    br#"{"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.71", "min_version": "3.0"}]}"#;

/// A cloud that answers the version document properly and everything else with `body`.
struct Echo<'a> {
    body: &'a [u8],
}

impl Io for &Echo<'_> {
    fn send(&self, req: &Request) -> Result<Response, Error> {
        let version_doc = req.method == Method::Get && req.url.ends_with('/');
        Ok(Response {
            status: if req.method == Method::Delete { 202 } else { 200 },
            headers: vec![("x-openstack-request-id".into(), "req-fuzz".into())],
            body: if version_doc { VERSIONS } else { self.body }.to_vec(),
        })
    }
    fn now_ms(&self) -> u64 {
        0
    }
    fn sleep_ms(&self, _ms: u64) {}
    fn unix_time_s(&self) -> u64 {
        1_795_680_000
    }
    fn log(&self, _line: &str) {}
}

fn session_cfg() -> Config {
    Config {
        auth_url: String::new(),
        credentials: Credentials::Token("tok".into()),
        region: None,
        endpoint_interface: None,
        block_storage_url: Some("https://bs.example/volume/v3/p1".into()),
        compute_url: Some("https://nova.example/compute/v2.1".into()),
        timeout_ms: None,
        microversion: None,
        max_response_bytes: None,
    }
}

fn touch<T: std::fmt::Debug>(r: Result<T, Error>) {
    let _ = match r {
        Ok(v) => format!("{v:?}"),
        Err(e) => error::log_line("decode", "x", &e),
    };
}

fuzz_target!(|data: &[u8]| {
    let head = String::from_utf8_lossy(&data[..data.len().min(32)]).into_owned();
    let resp = |status: u16| Response {
        status,
        headers: vec![
            ("retry-after".into(), head.clone()),
            ("x-openstack-request-id".into(), head.clone()),
            ("x-subject-token".into(), "tok".into()),
        ],
        body: data.to_vec(),
    };
    let ok = resp(200);

    touch(decode::<One<Volume>>(&ok, "volume").map(|o| o.0));
    touch(decode::<Many<Volume>>(&ok, "volume list").map(|p| (p.items, p.links)));
    touch(decode::<One<Snapshot>>(&ok, "snapshot").map(|o| o.0));
    touch(decode::<Many<Snapshot>>(&ok, "snapshot list").map(|p| (p.items, p.links)));
    touch(decode::<One<Backup>>(&ok, "backup").map(|o| o.0));
    touch(decode::<Many<Backup>>(&ok, "backup list").map(|p| (p.items, p.links)));

    match auth::decode_token(&resp(201)) {
        Ok(t) => {
            let _ = format!("{t:?}");
            touch(auth::find_endpoint(
                &t.catalog,
                BLOCK_STORAGE_TYPES,
                Some("dc3-a"),
                "public",
            ));
            touch(auth::find_endpoint(&t.catalog, COMPUTE_TYPES, None, "internal"));
        }
        Err(e) => touch::<()>(Err(e)),
    }

    touch(version::negotiate(data, None));
    touch(version::negotiate(data, Some(Microversion::new(3, 47))));

    for status in [0, 200, 300, 400, 401, 403, 404, 409, 413, 429, 500, 503, 999] {
        let e = error::from_response(&resp(status));
        let _ = error::log_line("decode", "x", &e);
    }

    if let Ok(s) = std::str::from_utf8(data) {
        let _ = auth::parse_timestamp(s);
        let _ = Microversion::parse(s);
        let _ = error::clean(s);
        if let Ok(u) = Url::parse(s) {
            let _ = (version::version_doc_url(&u), u.path(), u.query(), u.origin());
        }
    }

    // The decoders private to their modules, through the operations.
    let io = Echo { body: data };
    let Ok(c) = Client::connect(&io, session_cfg()) else {
        panic!("connect with a fixed version document must succeed");
    };
    touch(backups::create(
        &c,
        &BackupCreate {
            volume_id: "v1".into(),
            name: None,
            description: None,
            incremental: false,
            force: false,
            snapshot_id: None,
            container: None,
            metadata: vec![],
            availability_zone: None,
            idempotency_key: None,
        },
    ));
    touch(backups::restore(&c, "b1", &None, &Some("r".into())));
    touch(attachments::attach(&c, "v1", "s1", &None));
    touch(attachments::detach(&c, "v1", "s1"));
    touch(volumes::create(
        &c,
        &VolumeCreate {
            size: 1,
            name: None,
            description: None,
            volume_type: None,
            availability_zone: None,
            snapshot_id: None,
            source_volume_id: None,
            image_id: None,
            backup_id: None,
            metadata: vec![],
            idempotency_key: None,
        },
    ));
    touch(snapshots::create(
        &c,
        &SnapshotCreate {
            volume_id: "v1".into(),
            name: None,
            description: None,
            force: false,
            metadata: vec![],
            idempotency_key: None,
        },
    ));
    let all = ListOptions {
        status: None,
        name: None,
        page_size: None,
        limit: Some(2),
        marker: None,
        sort: None,
        volume_id: None,
        metadata: vec![],
    };
    touch(resource::list::<Volume, _>(&c, &all));
    let changes = ResourceUpdate {
        name: Some("n".into()),
        description: None,
    };
    touch(resource::update::<Snapshot, _>(&c, "s1", &changes));
    touch(resource::set_metadata::<Volume, _>(
        &c,
        "v1",
        &[("k".into(), "v".into())],
    ));
    touch(backups::set_metadata(&c, "b1", &[("k".into(), "v".into())]));
    touch(backups::unset_metadata(&c, "b1", &["k".into()]));
    touch(project::volume_types(&c));
    touch(project::default_volume_type(&c));
    touch(project::availability_zones(&c));
    touch(project::limits(&c));
    touch(project::messages(&c, &None));
    touch(volumes::extend(&c, "v1", 2));
});
