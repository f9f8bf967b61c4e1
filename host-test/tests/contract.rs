//! The built component's shape: the world it exports and the capabilities it imports.

use host_test::Host;

#[test]
fn imports_only_http_io_clocks_and_stderr() {
    let host = Host::new().unwrap();
    let imports = host.imports();
    println!("{imports:#?}");
    let allowed = ["wasi:http/", "wasi:io/", "wasi:clocks/", "wasi:cli/stderr"];
    for i in &imports {
        assert!(allowed.iter().any(|a| i.starts_with(a)), "unexpected import {i}");
        assert!(
            !i.contains("filesystem") && !i.contains("sockets"),
            "capability import {i}"
        );
    }
    assert!(imports.iter().any(|i| i.starts_with("wasi:http/outgoing-handler")));
}

#[test]
fn the_compiled_component_is_cached_on_disk_and_a_bad_artifact_is_replaced() {
    let dir = std::env::temp_dir().join(format!("ibs-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cold = Host::from_bytes_cached(host_test::COMPONENT, &dir).unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].to_string_lossy().ends_with(".cwasm"));
    let size = std::fs::metadata(&files[0]).unwrap().len();
    // A second start loads the artifact and behaves the same.
    let warm = Host::from_bytes_cached(host_test::COMPONENT, &dir).unwrap();
    assert_eq!(warm.imports(), cold.imports());
    warm.instantiation_time().unwrap();
    // A damaged artifact is not trusted blindly: it is compiled again and rewritten.
    // (Replaced by rename, as the cache itself writes: a live host maps the old file.)
    let damaged = dir.join("damaged");
    std::fs::write(&damaged, b"not an artifact").unwrap();
    std::fs::rename(&damaged, &files[0]).unwrap();
    let again = Host::from_bytes_cached(host_test::COMPONENT, &dir).unwrap();
    again.instantiation_time().unwrap();
    assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), size);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_session_keeps_its_connection_alive_across_requests() {
    let cloud = mock_cloud::MockCloud::start();
    let host = Host::new().unwrap();
    let cfg = host_test::mock_config(&cloud);
    let all = host_test::spec::list_all();
    for _ in 0..3 {
        let mut s = host.connect(&cfg).expect("connect");
        for _ in 0..20 {
            s.volume_list(&all).expect("list");
        }
    }
    let requests = cloud.requests().len();
    println!("{requests} requests over {} connections", cloud.connections());
    assert_eq!(requests, 3 * (2 + 20));
    // One pooled connection per session, reused for all 22: each session here is the only
    // one of its thread, and the thread's runtime and pool go with it.
    assert_eq!(cloud.connections(), 3, "connections for {requests} requests");
}

#[test]
fn sessions_of_one_thread_share_its_kept_alive_connection() {
    let cloud = mock_cloud::MockCloud::start();
    let host = Host::new().unwrap();
    let cfg = host_test::mock_config(&cloud);
    let mut sessions: Vec<_> = (0..3).map(|_| host.connect(&cfg).expect("connect")).collect();
    for s in &mut sessions {
        for _ in 0..5 {
            s.volume_list(&host_test::spec::list_all()).expect("list");
        }
    }
    assert_eq!(cloud.requests().len(), 3 * (2 + 5));
    assert_eq!(cloud.connections(), 1, "one pool for the thread's sessions");
}

#[test]
fn a_session_works_from_another_thread_while_its_thread_runs_another() {
    let cloud = mock_cloud::MockCloud::start();
    let host = Host::new().unwrap();
    let cfg = host_test::mock_config(&cloud);
    let mut here = host.connect(&cfg).expect("connect");
    let mut moved = host.connect(&cfg).expect("connect");
    let id = cloud.seed_volumes("shared-", 1).remove(0);
    // `moved` runs on another thread while this one keeps calling `here`: both drive the
    // runtime of the thread that connected them, in turn.
    let other = std::thread::spawn(move || {
        for _ in 0..50 {
            assert_eq!(moved.volume_get(&id).expect("get from another thread").id, id);
        }
    });
    for _ in 0..50 {
        here.volume_list(&host_test::spec::list_all()).expect("list");
    }
    other.join().expect("the other thread's calls");
}

#[test]
fn the_component_carries_its_package_metadata() {
    let payload = wasm_metadata::Payload::from_binary(host_test::COMPONENT).unwrap();
    let m = payload.metadata();
    assert_eq!(m.name.as_deref(), Some("infomaniak-block-storage"));
    assert_eq!(
        m.version.as_ref().map(|v| v.to_string()).as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        m.licenses.as_ref().map(|l| l.to_string()).as_deref(),
        Some("Apache-2.0")
    );
    assert!(m.description.as_ref().is_some_and(|d| d.to_string().contains("Cinder")));
    // The revision is stamped when the build runs in a git checkout.
    if std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.git")).exists() {
        assert!(m.revision.is_some());
    }
}
