//! The command line as a user runs it: the built `ibs` binary, spawned with an openrc's
//! `OS_*` variables pointing at a mock cloud started by the test (or with `--mock`, or a
//! clouds.yaml), its real stdout, stderr and exit code.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use mock_cloud::{
    Fault, FaultKind, MockCloud, MockOptions, MockVolumeType, APP_CRED_ID, APP_CRED_SECRET, PASSWORD, USER_NAME,
};
use serde_json::Value;

mod common;
use common::*;

/// The variables of an application-credential openrc for `cloud`.
fn openrc(cloud: &MockCloud) -> Vec<(&'static str, String)> {
    vec![
        ("OS_AUTH_TYPE", "v3applicationcredential".into()),
        ("OS_AUTH_URL", cloud.auth_url()),
        ("OS_APPLICATION_CREDENTIAL_ID", APP_CRED_ID.into()),
        ("OS_APPLICATION_CREDENTIAL_SECRET", APP_CRED_SECRET.into()),
        ("OS_REGION_NAME", "dc3-a".into()),
        ("OS_INTERFACE", "public".into()),
        ("OS_IDENTITY_API_VERSION", "3".into()),
    ]
}

/// One test's mock, openrc and scratch directory.
struct Env {
    cloud: MockCloud,
    vars: Vec<(&'static str, String)>,
    dir: Scratch,
}

impl Env {
    fn new(name: &str, transition_ms: u64) -> Env {
        Env::with(
            name,
            MockOptions {
                transition: Duration::from_millis(transition_ms),
                ..MockOptions::default()
            },
        )
    }
    fn with(name: &str, opts: MockOptions) -> Env {
        let cloud = MockCloud::start_with(opts);
        let vars = openrc(&cloud);
        Env {
            cloud,
            vars,
            dir: scratch(name),
        }
    }
    fn run(&self, args: &[&str]) -> Run {
        run_in(&self.dir, &self.vars, args)
    }
    /// The lines of `-f value`: one row a line.
    fn values(&self, args: &[&str]) -> Vec<String> {
        let args: Vec<&str> = args.iter().copied().chain(["-f", "value"]).collect();
        self.run(&args).ok().stdout.lines().map(str::to_string).collect()
    }
    /// Creates an available volume of 1 GiB; returns its ID.
    fn volume(&self, name: &str) -> String {
        let run = self.run(&[
            "volume", "create", "--size", "1", "--wait", "-f", "value", "-c", "id", name,
        ]);
        run.ok().line().to_string()
    }
}

#[test]
fn volume_lifecycle_through_the_component() {
    let env = Env::new("lifecycle", 100);
    let server = env.cloud.add_server("web-1");

    let created = env
        .run(&[
            "volume",
            "create",
            "--size",
            "1",
            "--description",
            "scratch space",
            "--property",
            "team=storage",
            "--wait",
            "-f",
            "json",
            "data",
        ])
        .ok()
        .json();
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["name"], "data");
    assert_eq!(created["size"], 1);
    assert_eq!(created["properties"]["team"], "storage");
    assert_eq!(created["description"], "scratch space");
    assert_eq!(created["status"], "available");

    let listed = env.run(&["volume", "list", "-f", "json"]).ok().json();
    let row = &listed.as_array().expect("array")[0];
    assert_eq!(row["ID"], id.as_str());
    assert_eq!(row["Name"], "data");
    assert_eq!(row["Size"], 1);
    for column in ["Status", "Attached to"] {
        assert!(row.get(column).is_some(), "{column} in {row}");
    }

    // By name and by ID; `volume extend` and osc's `volume set --size`.
    env.run(&["volume", "extend", "data", "2", "--wait"]).ok();
    assert_eq!(
        env.run(&["volume", "show", &id, "-f", "value", "-c", "size"])
            .ok()
            .line(),
        "2"
    );
    env.run(&["volume", "set", "--size", "3", "--wait", "data"]).ok();
    let shown = env.run(&["volume", "show", "data", "-f", "json"]).ok().json();
    assert_eq!(shown["size"], 3);
    assert_eq!(shown["status"], "available");

    // Attach, then detach with osc's `server remove volume` spelling.
    let att = env
        .run(&[
            "volume", "attach", "data", &server, "--device", "/dev/sdc", "--wait", "-f", "json",
        ])
        .ok()
        .json();
    assert_eq!(att["Server ID"], server.as_str());
    assert_eq!(att["Volume ID"], id.as_str());
    assert_eq!(att["Device"], "/dev/sdc");
    assert!(att["ID"].is_string(), "attachment id after --wait: {att}");
    let shown = env.run(&["volume", "show", "data", "-f", "json"]).ok().json();
    assert_eq!(shown["status"], "in-use");
    assert_eq!(shown["attachments"][0]["server_id"], server.as_str());
    let table = env.run(&["volume", "list"]).ok();
    assert!(
        table.stdout.contains(&format!("Attached to {server} on /dev/sdc")),
        "{}",
        table.stdout
    );
    env.run(&["server", "remove", "volume", &server, "data", "--wait"]).ok();
    assert_eq!(
        env.run(&["volume", "show", "data", "-f", "value", "-c", "status"])
            .ok()
            .line(),
        "available"
    );
    env.run(&["server", "add", "volume", &server, "data", "--wait"]).ok();
    env.run(&["volume", "detach", "data", &server, "--wait"]).ok();

    let deleted = env.run(&["volume", "delete", "data", "--wait"]).ok();
    assert_eq!(deleted.stdout, "");
    assert_eq!(env.cloud.counts().volumes, 0);
    assert_eq!(
        env.run(&["volume", "list"]).ok().stdout,
        "",
        "an empty list prints nothing"
    );
}

#[test]
fn snapshot_and_backup_commands() {
    let env = Env::new("snapshots-backups", 0);
    let vol = env.volume("src");

    // osc's `volume snapshot …` and the short `snapshot …`; --volume defaults to the name.
    let snap = env
        .run(&[
            "volume", "snapshot", "create", "--volume", "src", "--wait", "-f", "json", "s1",
        ])
        .ok()
        .json();
    assert_eq!(snap["volume_id"], vol.as_str());
    assert_eq!(snap["status"], "available");
    let listed = env.run(&["snapshot", "list", "--long", "-f", "json"]).ok().json();
    assert_eq!(listed[0]["Name"], "s1");
    assert_eq!(listed[0]["Volume"], "src", "long listings name the volume");
    assert_eq!(
        env.run(&["snapshot", "show", "s1", "-f", "value", "-c", "size"])
            .ok()
            .line(),
        "1"
    );
    let by_volume = env.run(&["snapshot", "list", "--volume", "src", "-f", "value", "-c", "Name"]);
    assert_eq!(by_volume.ok().line(), "s1");

    // A volume from the snapshot takes its size.
    let from_snap = env
        .run(&[
            "volume",
            "create",
            "--snapshot",
            "s1",
            "--wait",
            "-f",
            "json",
            "from-s1",
        ])
        .ok()
        .json();
    assert_eq!(from_snap["snapshot_id"], snap["id"]);
    assert_eq!(from_snap["size"], 1);

    let backup = env
        .run(&[
            "volume", "backup", "create", "--name", "b1", "--wait", "-f", "json", "src",
        ])
        .ok()
        .json();
    assert_eq!(backup["status"], "available");
    assert_eq!(backup["volume_id"], vol.as_str());
    let listed = env.run(&["backup", "list", "--long", "-f", "json"]).ok().json();
    assert_eq!(listed[0]["Name"], "b1");
    assert_eq!(listed[0]["Volume"], "src");
    assert_eq!(listed[0]["Incremental"], false);
    let incremental = env
        .run(&[
            "backup",
            "create",
            "--incremental",
            "--name",
            "b2",
            "--wait",
            "-f",
            "value",
            "-c",
            "is_incremental",
            "src",
        ])
        .ok();
    assert_eq!(incremental.line(), "True");

    // Restore into a new volume by name; onto an existing one only with --force.
    let restored = env
        .run(&["backup", "restore", "b1", "restored", "--wait", "-f", "json"])
        .ok()
        .json();
    assert_eq!(restored["volume_name"], "restored");
    let status = env
        .run(&["volume", "show", "restored", "-f", "value", "-c", "status"])
        .ok();
    assert_eq!(status.line(), "available");
    let refused = env.run(&["backup", "restore", "b1", "src"]).failed();
    assert!(
        refused.stderr.contains("Volume 'src' already exists") && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    env.run(&["backup", "restore", "--force", "--wait", "b1", "src"]).ok();

    env.run(&["backup", "delete", "--wait", "b2"]).ok();
    env.run(&["volume", "backup", "delete", "--wait", "b1"]).ok();
    env.run(&["volume", "delete", "--wait", "from-s1"]).ok();
    env.run(&["snapshot", "delete", "--wait", "s1"]).ok();
    env.run(&["volume", "delete", "--wait", "src", "restored"]).ok();
    let left = env.cloud.counts();
    assert_eq!((left.volumes, left.snapshots, left.backups), (0, 0, 0), "{left:?}");
}

#[test]
fn formats_and_columns_as_openstackclient_prints_them() {
    let env = Env::new("formats", 0);
    let a = env.volume("alpha");
    env.volume("beta");

    let table = env.run(&["volume", "list", "--name", "alpha"]).ok().stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "rule, header, rule, row, rule:\n{table}");
    assert!(lines[0].starts_with("+--") && lines[0].ends_with("-+"), "{table}");
    assert_eq!(
        lines[1].split('|').map(str::trim).collect::<Vec<_>>(),
        ["", "ID", "Name", "Status", "Size", "Attached to", ""]
    );
    assert!(
        lines[3].contains(&format!("| {a} | alpha | available |    1 |")),
        "sizes align right:\n{table}"
    );

    let show = env.run(&["volume", "show", "alpha"]).ok().stdout;
    assert!(
        show.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("| Field ") && l.contains("| Value ")),
        "{show}"
    );
    assert!(show.contains("| description       | None "), "{show}");

    // -c keeps the usual column order, whatever order it is given in.
    let values = env
        .run(&["volume", "list", "-f", "value", "-c", "Size", "-c", "Name"])
        .ok()
        .stdout;
    let mut rows: Vec<&str> = values.lines().collect();
    rows.sort();
    assert_eq!(rows, ["alpha 1", "beta 1"]);
    let one = env
        .run(&["volume", "show", "beta", "-f", "value", "-c", "name", "-c", "status"])
        .ok()
        .stdout;
    assert_eq!(one, "beta\navailable\n");
    let json = env
        .run(&["volume", "list", "--long", "-f", "json", "-c", "Name", "-c", "Bootable"])
        .ok()
        .json();
    for row in json.as_array().expect("array") {
        assert_eq!(row.as_object().expect("object").len(), 2, "{row}");
        assert_eq!(row["Bootable"], "false", "Cinder's string, as openstackclient shows it");
    }
    let text = env
        .run(&["volume", "list", "--long", "-f", "json", "-c", "Bootable", "-c", "Name"])
        .ok()
        .stdout;
    let (name, bootable) = (
        text.find("\"Name\"").expect("Name"),
        text.find("\"Bootable\"").expect("Bootable"),
    );
    assert!(name < bootable, "JSON keys in column order:\n{text}");

    let unknown = env.run(&["volume", "list", "-c", "Nope"]).failed();
    assert!(
        unknown.stderr.contains("No recognized column names in ['Nope']"),
        "{}",
        unknown.stderr
    );
    assert_eq!(unknown.stdout, "");
}

#[test]
fn names_resolve_ambiguity_and_errors_are_typed() {
    let env = Env::new("names", 0);
    let first = env.volume("twin");
    env.volume("twin");

    let ambiguous = env.run(&["volume", "show", "twin"]).failed();
    assert_eq!(
        ambiguous.stderr.trim(),
        "Error: ambiguous: More than one volume exists with the name 'twin'."
    );
    assert_eq!(ambiguous.stdout, "");
    // The ID still works.
    assert_eq!(
        env.run(&["volume", "show", &first, "-f", "value", "-c", "id"])
            .ok()
            .line(),
        first
    );

    let missing = env.run(&["volume", "show", "ghost"]).failed();
    assert_eq!(
        missing.stderr.trim(),
        "Error: not-found: No volume with a name or ID of 'ghost' exists."
    );
    let uuid = "0b5e1c1e-0000-4000-8000-000000000000";
    let gone = env.run(&["volume", "delete", uuid]).failed();
    assert!(
        gone.stderr.contains(&format!(
            "Failed to delete volume with name or ID '{uuid}': not-found (404) [req-"
        )) && gone.stderr.contains(&format!("Volume {uuid} could not be found.")),
        "the server's typed 404 with its request id:\n{}",
        gone.stderr
    );
    assert!(
        gone.stderr.contains("Error: 1 of 1 volumes failed to delete."),
        "{}",
        gone.stderr
    );
    let server = env.run(&["snapshot", "show", uuid]).failed();
    assert!(
        server.stderr.starts_with("Error: not-found (404) [req-"),
        "{}",
        server.stderr
    );

    // The component refuses bad input before any request.
    let shrink = env.run(&["volume", "extend", &first, "1"]).failed();
    assert!(shrink.stderr.starts_with("Error: invalid-input: "), "{}", shrink.stderr);
    // Options that name a resource resolve it the same way.
    let clone = env.run(&["volume", "create", "--source", "twin", "clone"]).failed();
    assert!(
        clone
            .stderr
            .contains("More than one volume exists with the name 'twin'"),
        "{}",
        clone.stderr
    );
    // The server's refusal keeps its kind, status, request id and message.
    env.cloud.set_quota("volumes", 2);
    let over = env.run(&["volume", "create", "--size", "1", "third"]).failed();
    assert!(
        over.stderr.starts_with("Error: over-limit (413) [req-"),
        "{}",
        over.stderr
    );

    // Usage errors exit with 2, like argparse.
    let usage = env.run(&["volume", "create", "--size", "1"]);
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    assert!(usage.stderr.contains("<NAME>"), "{}", usage.stderr);
}

#[test]
fn delete_goes_on_after_a_failure_and_reports_it() {
    let env = Env::new("delete", 0);
    env.volume("keep-going");
    let run = env.run(&["volume", "delete", "ghost", "keep-going"]).failed();
    assert!(
        run.stderr.contains("Failed to delete volume with name or ID 'ghost': not-found: No volume with a name or ID of 'ghost' exists."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Error: 1 of 2 volumes failed to delete."),
        "{}",
        run.stderr
    );
    assert_eq!(env.cloud.counts().volumes, 0, "the other volume was deleted");
}

#[test]
fn wait_prints_plain_progress_lines_when_not_on_a_terminal() {
    let env = Env::new("wait", 300);
    let run = env
        .run(&[
            "volume", "create", "--size", "1", "--wait", "-f", "value", "-c", "status", "slow",
        ])
        .ok();
    assert_eq!(run.line(), "available", "stdout keeps only the output");
    let id = env
        .run(&["volume", "show", "slow", "-f", "value", "-c", "id"])
        .ok()
        .line()
        .to_string();
    let lines: Vec<&str> = run.stderr.lines().collect();
    let prefix = format!("volume slow ({id}): ");
    assert!(lines.len() >= 2, "{}", run.stderr);
    assert!(lines[0].starts_with(&format!("{prefix}creating (")), "{}", run.stderr);
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with(&format!("{prefix}available ("))),
        "{}",
        run.stderr
    );
    assert!(
        lines.iter().all(|l| l.ends_with(" s)")),
        "each line has the time waited:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\r') && !run.stderr.contains('\x1b'),
        "no terminal control when piped"
    );

    let del = env.run(&["volume", "delete", "--wait", "slow"]).ok();
    assert!(del.stderr.contains(&format!("{prefix}deleting (")), "{}", del.stderr);
    assert!(del.stderr.contains(&format!("{prefix}deleted (")), "{}", del.stderr);
}

#[test]
fn wait_fails_at_once_on_an_error_status() {
    let env = Env::new("wait-error", 2000);
    warm_up();
    let child = command(
        &env.dir,
        &env.vars,
        &["volume", "create", "--size", "1", "--wait", "doomed"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn ibs");
    // The first read of the new volume (still `creating`) names it; then it breaks.
    let id = (0..400)
        .find_map(|_| {
            let seen = env.cloud.requests().iter().find_map(|r| {
                let id = r.path.rsplit_once("/volumes/")?.1;
                (r.method == "GET" && id.len() == 36).then(|| id.to_string())
            });
            if seen.is_none() {
                std::thread::sleep(Duration::from_millis(25));
            }
            seen
        })
        .expect("the child reads the volume it created");
    env.cloud.set_status("volume", &id, "error");
    let run = finish(child.wait_with_output().expect("wait")).failed();
    let expected = format!("Error: resource-failed: volume {id} reached status error while waiting for available");
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("volume doomed ({id}): error (")),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_credentials_and_missing_configuration() {
    let env = Env::new("auth", 0);
    let mut wrong = env.vars.clone();
    wrong.retain(|(k, _)| *k != "OS_APPLICATION_CREDENTIAL_SECRET");
    wrong.push(("OS_APPLICATION_CREDENTIAL_SECRET", "not-the-secret".into()));
    let denied = run_in(&env.dir, &wrong, &["volume", "list"]).failed();
    assert!(
        denied.stderr.starts_with("Error: unauthorized (401)"),
        "{}",
        denied.stderr
    );
    // The option overrides the variable.
    let fixed = run_in(
        &env.dir,
        &wrong,
        &["--os-application-credential-secret", APP_CRED_SECRET, "volume", "list"],
    );
    fixed.ok();

    let nothing = run_in(&env.dir, &[], &["volume", "list"]).failed();
    assert!(
        nothing
            .stderr
            .starts_with("Error: config: no auth URL: set OS_AUTH_URL"),
        "{}",
        nothing.stderr
    );

    // A password openrc as Horizon writes it (project domain by ID).
    let password = vec![
        ("OS_AUTH_URL", env.cloud.auth_url()),
        ("OS_USERNAME", USER_NAME.to_string()),
        ("OS_PASSWORD", PASSWORD.to_string()),
        ("OS_PROJECT_NAME", "demo-project".to_string()),
        ("OS_PROJECT_ID", env.cloud.project_id()),
        ("OS_USER_DOMAIN_NAME", "Default".to_string()),
        ("OS_PROJECT_DOMAIN_ID", "default".to_string()),
        ("OS_REGION_NAME", "dc3-a".to_string()),
        ("OS_INTERFACE", "public".to_string()),
    ];
    run_in(&env.dir, &password, &["volume", "list"]).ok();

    // An existing token: no Keystone, the endpoint given.
    let token = vec![
        ("OS_AUTH_TYPE", "token".to_string()),
        ("OS_TOKEN", env.cloud.issue_token()),
        ("OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE", env.cloud.block_storage_url()),
    ];
    run_in(&env.dir, &token, &["volume", "list"]).ok();
}

/// The attach round trip a new user tries first: create, add to a server, remove, delete.
fn attach_round_trip(dir: &Path, env: &[(&'static str, String)], server: &str, name: &str) {
    let id = run_in(
        dir,
        env,
        &[
            "volume", "create", "--size", "1", "--wait", "-f", "value", "-c", "id", name,
        ],
    )
    .ok()
    .line()
    .to_string();
    run_in(dir, env, &["server", "add", "volume", server, &id, "--wait"]).ok();
    let shown = run_in(dir, env, &["volume", "show", &id, "-f", "json"]).ok().json();
    assert_eq!(shown["status"], "in-use");
    assert_eq!(shown["attachments"][0]["server_id"], server);
    run_in(dir, env, &["server", "remove", "volume", server, &id, "--wait"]).ok();
    run_in(dir, env, &["volume", "delete", &id, "--wait"]).ok();
    let gone = run_in(dir, env, &["volume", "show", &id]).failed();
    assert!(gone.stderr.starts_with("Error: not-found (404)"), "{}", gone.stderr);
}

/// A plain password openrc (no endpoint override) against a cloud whose Keystone, Cinder
/// and Nova listen on three ports: the CLI reaches the endpoints the catalog names.
#[test]
fn a_plain_openrc_reaches_services_on_their_own_ports() {
    let cloud = MockCloud::start_with(MockOptions {
        service_ports: true,
        transition: Duration::from_millis(50),
        ..MockOptions::default()
    });
    let server = cloud.add_server("web-ports");
    let password = vec![
        ("OS_AUTH_URL", cloud.auth_url()),
        ("OS_USERNAME", USER_NAME.to_string()),
        ("OS_PASSWORD", PASSWORD.to_string()),
        ("OS_PROJECT_NAME", "demo-project".to_string()),
        ("OS_USER_DOMAIN_NAME", "Default".to_string()),
        ("OS_PROJECT_DOMAIN_NAME", "Default".to_string()),
        ("OS_REGION_NAME", "dc3-a".to_string()),
        ("OS_INTERFACE", "public".to_string()),
        ("OS_IDENTITY_API_VERSION", "3".to_string()),
    ];
    let dir = scratch("service-ports");
    for env in [password, openrc(&cloud)] {
        attach_round_trip(&dir, &env, &server, "ports");
    }
    assert_eq!(cloud.counts().volumes, 0);
}

#[test]
fn clouds_yaml_secure_yaml_and_precedence() {
    let env = Env::new("clouds-yaml", 0);
    let clouds = env.dir.join("my-clouds.yaml");
    std::fs::write(
        &clouds,
        format!(
            "clouds:\n  infomaniak:\n    auth:\n      auth_url: {}\n      application_credential_id: {APP_CRED_ID}\n    \
             auth_type: v3applicationcredential\n    region_name: dc3-a\n    interface: public\n    \
             identity_api_version: 3\n",
            env.cloud.auth_url()
        ),
    )
    .unwrap();
    let secure = env.dir.join("my-secure.yaml");
    std::fs::write(
        &secure,
        format!("clouds:\n  infomaniak:\n    auth:\n      application_credential_secret: {APP_CRED_SECRET}\n"),
    )
    .unwrap();
    let files = vec![
        ("OS_CLIENT_CONFIG_FILE", clouds.display().to_string()),
        ("OS_CLIENT_SECURE_FILE", secure.display().to_string()),
    ];
    let run = run_in(
        &env.dir,
        &files,
        &["--os-cloud", "infomaniak", "volume", "create", "--size", "1", "y"],
    );
    run.ok();
    assert_eq!(env.cloud.counts().volumes, 1);

    // OS_CLOUD names it too; an OS_* variable overrides the file, an option the variable.
    let mut vars = files.clone();
    vars.push(("OS_CLOUD", "infomaniak".into()));
    run_in(&env.dir, &vars, &["volume", "show", "y"]).ok();
    vars.push(("OS_REGION_NAME", "nowhere".into()));
    let region = run_in(&env.dir, &vars, &["volume", "show", "y"]).failed();
    assert!(region.stderr.starts_with("Error: no-endpoint"), "{}", region.stderr);
    run_in(&env.dir, &vars, &["--os-region-name", "dc3-a", "volume", "show", "y"]).ok();

    let unknown = run_in(&env.dir, &files, &["--os-cloud", "elsewhere", "volume", "list"]).failed();
    assert!(
        unknown.stderr.contains("cloud elsewhere was not found in"),
        "{}",
        unknown.stderr
    );

    // The standard search path: ./clouds.yaml in the working directory (password auth).
    std::fs::write(
        env.dir.join("clouds.yaml"),
        format!(
            "clouds:\n  pw:\n    auth:\n      auth_url: {}\n      username: {USER_NAME}\n      password: {PASSWORD}\n      \
             project_name: demo-project\n      user_domain_name: Default\n      project_domain_id: default\n    \
             region_name: dc3-a\n",
            env.cloud.auth_url()
        ),
    )
    .unwrap();
    let listed = run_in(
        &env.dir,
        &[("OS_CLOUD", "pw".into())],
        &["volume", "list", "-f", "value", "-c", "Name"],
    );
    assert_eq!(listed.ok().line(), "y");
}

#[test]
fn mock_flag_runs_single_commands_and_scripts_on_one_session() {
    let dir = scratch("mock-flag");
    let empty = run_in(&dir, &[], &["--mock", "volume", "list", "-f", "json"]).ok();
    assert_eq!(empty.json(), Value::Array(vec![]));

    let script = "\
        # one session, one mock cloud\n\
        volume create --size 1 --wait -f value -c name 'my data'\n\
        volume attach 'my data' mock-server --wait -f value -c Device\n\
        volume list -f value -c Name -c Status\n\
        volume show nothing-here\n\
        volume detach 'my data' mock-server --wait\n\
        volume delete --wait 'my data'\n\
        volume list -f json\n";
    let run = run_script(&dir, &[], &["--mock"], script).failed();
    assert_eq!(
        run.stdout, "my data\n/dev/sdb\nmy data in-use\n[]\n",
        "stderr:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Error: not-found: No volume with a name or ID of 'nothing-here' exists."),
        "{}",
        run.stderr
    );

    let clean = run_script(&dir, &[], &["--mock"], "volume list\nsnapshot list\nbackup list\n").ok();
    assert_eq!(clean.stdout, "");
}

#[test]
fn debug_shows_the_traffic_without_secrets_or_tokens() {
    let env = Env::new("debug", 0);
    let run = env
        .run(&["--debug", "volume", "create", "--size", "1", "--wait", "dbg"])
        .ok();
    let err = &run.stderr;
    assert!(err.contains("REQ: POST http://127.0.0.1:"), "{err}");
    assert!(err.contains("/identity/v3/auth/tokens"), "{err}");
    assert!(err.contains("RESP: [201 Created] POST "), "{err}");
    assert!(err.contains("RESP: [202 Accepted] POST "), "{err}");
    assert!(err.contains("X-Auth-Token: ***"), "{err}");
    assert!(err.contains("X-Subject-Token: ***"), "{err}");
    assert!(err.contains(r#""secret":"***""#), "{err}");
    assert!(err.contains("REQ BODY: {\"volume\":"), "{err}");
    assert!(err.contains(" ms\n"), "elapsed time on response lines:\n{err}");

    let password = vec![
        ("OS_AUTH_URL", env.cloud.auth_url()),
        ("OS_USERNAME", USER_NAME.to_string()),
        ("OS_PASSWORD", PASSWORD.to_string()),
        ("OS_PROJECT_NAME", "demo-project".to_string()),
        ("OS_USER_DOMAIN_NAME", "Default".to_string()),
        ("OS_PROJECT_DOMAIN_NAME", "Default".to_string()),
    ];
    let pw = run_in(&env.dir, &password, &["--debug", "volume", "list", "--long"]).ok();
    assert!(pw.stderr.contains(r#""password":"***""#), "{}", pw.stderr);

    let tokens: Vec<String> = env
        .cloud
        .requests()
        .iter()
        .flat_map(|r| r.headers.iter())
        .filter(|(k, _)| k.eq_ignore_ascii_case("x-auth-token"))
        .map(|(_, v)| v.clone())
        .collect();
    assert!(!tokens.is_empty(), "the mock saw the child's tokens");
    for out in [&run.stdout, &run.stderr, &pw.stdout, &pw.stderr] {
        assert!(
            !out.contains(APP_CRED_SECRET),
            "the application credential secret leaked"
        );
        assert!(!out.contains(PASSWORD), "the password leaked");
        for t in &tokens {
            assert!(!out.contains(t.as_str()), "a token leaked");
        }
    }
}

#[test]
fn help_lists_the_commands() {
    let dir = scratch("help");
    let run = run_in(&dir, &[], &["--help"]).ok();
    for word in [
        "volume",
        "snapshot",
        "backup",
        "server",
        "--os-cloud",
        "--mock",
        "--debug",
    ] {
        assert!(run.stdout.contains(word), "{word} in:\n{}", run.stdout);
    }
    for word in ["availability", "limits", "image"] {
        assert!(run.stdout.contains(word), "{word} in:\n{}", run.stdout);
    }
    let volume = run_in(&dir, &[], &["volume", "--help"]).ok();
    for word in [
        "list", "show", "create", "delete", "extend", "set", "unset", "attach", "detach", "revert", "transfer", "type",
        "message",
    ] {
        assert!(volume.stdout.contains(word), "{word} in:\n{}", volume.stdout);
    }
    for sub in [["snapshot", "--help"], ["backup", "--help"]] {
        let help = run_in(&dir, &[], &sub).ok();
        assert!(
            help.stdout.contains("set") && help.stdout.contains("unset"),
            "{}",
            help.stdout
        );
    }
}

/// The metadata of the last `PUT /backups/{id}` that wrote it (a backup's metadata is written whole and the
/// backup record does not carry it, so the request is where the change shows).
fn last_backup_metadata(cloud: &MockCloud, id: &str) -> Value {
    let put = cloud
        .requests()
        .into_iter()
        .rev()
        .filter(|r| r.method == "PUT" && r.path.ends_with(&format!("/backups/{id}")))
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON body"))
        .find(|body| body["backup"].get("metadata").is_some())
        .expect("a PUT of the backup's metadata");
    put["backup"]["metadata"].clone()
}

#[test]
fn set_and_unset_change_volumes_snapshots_and_backups() {
    let env = Env::new("set-unset", 0);
    env.volume("v");
    env.run(&[
        "volume",
        "set",
        "--name",
        "renamed",
        "--description",
        "new words",
        "--property",
        "tier=gold",
        "--property",
        "owner=me=you",
        "v",
    ])
    .ok();
    let shown = env.run(&["volume", "show", "renamed", "-f", "json"]).ok().json();
    assert_eq!(shown["name"], "renamed");
    assert_eq!(shown["description"], "new words");
    assert_eq!(
        shown["properties"],
        serde_json::json!({"tier": "gold", "owner": "me=you"})
    );
    env.run(&[
        "volume",
        "unset",
        "--property",
        "tier",
        "--property",
        "absent",
        "renamed",
    ])
    .ok();
    env.run(&["volume", "set", "--size", "2", "--wait", "renamed"]).ok();
    let shown = env.run(&["volume", "show", "renamed", "-f", "json"]).ok().json();
    assert_eq!(shown["properties"], serde_json::json!({"owner": "me=you"}));
    assert_eq!(shown["size"], 2);

    env.run(&["volume", "snapshot", "create", "--volume", "renamed", "--wait", "s1"])
        .ok();
    env.run(&["snapshot", "set", "--name", "s2", "--property", "k=v", "s1"])
        .ok();
    let snap = env.run(&["snapshot", "show", "s2", "-f", "json"]).ok().json();
    assert_eq!(snap["properties"], serde_json::json!({"k": "v"}));
    env.run(&["volume", "snapshot", "unset", "--property", "k", "s2"]).ok();
    let snap = env.run(&["snapshot", "show", "s2", "-f", "json"]).ok().json();
    assert_eq!(snap["properties"], serde_json::json!({}));

    let backup = env
        .run(&[
            "volume",
            "backup",
            "create",
            "--name",
            "b1",
            "--property",
            "origin=cli",
            "--availability-zone",
            "nova",
            "--wait",
            "-f",
            "json",
            "renamed",
        ])
        .ok()
        .json();
    assert_eq!(backup["availability_zone"], "nova");
    let id = backup["id"].as_str().expect("id");
    let create = env
        .cloud
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/backups"))
        .expect("the backup's POST");
    let body: Value = serde_json::from_slice(&create.body).expect("JSON");
    assert_eq!(body["backup"]["metadata"], serde_json::json!({"origin": "cli"}));
    assert_eq!(body["backup"]["availability_zone"], "nova");
    env.run(&[
        "backup",
        "set",
        "--name",
        "b2",
        "--description",
        "kept",
        "--property",
        "tier=gold",
        "b1",
    ])
    .ok();
    let shown = env.run(&["backup", "show", "b2", "-f", "json"]).ok().json();
    assert_eq!((&shown["name"], &shown["description"]), (&"b2".into(), &"kept".into()));
    assert_eq!(
        last_backup_metadata(&env.cloud, id),
        serde_json::json!({"origin": "cli", "tier": "gold"})
    );
    env.run(&["volume", "backup", "unset", "--property", "origin", "b2"])
        .ok();
    assert_eq!(
        last_backup_metadata(&env.cloud, id),
        serde_json::json!({"tier": "gold"})
    );

    let missing = env.run(&["backup", "set", "--name", "x", "ghost"]).failed();
    assert!(
        missing
            .stderr
            .contains("No backup with a name or ID of 'ghost' exists."),
        "{}",
        missing.stderr
    );
}

#[test]
fn volume_types_zones_and_limits() {
    let env = Env::with(
        "project",
        MockOptions {
            transition: Duration::ZERO,
            volume_types: vec![MockVolumeType::new("perf1")
                .description("fast")
                .extra_spec("RESKEY:availability_zones", "nova")],
            ..MockOptions::default()
        },
    );
    let perf1 = env.cloud.volume_type_id("perf1").expect("perf1");
    let types = env.run(&["volume", "type", "list", "-f", "json"]).ok().json();
    let mut names: Vec<&str> = types
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["Name"].as_str().expect("name"))
        .collect();
    names.sort();
    assert_eq!(names, ["__DEFAULT__", "perf1"]);
    let table = env.run(&["volume", "type", "list"]).ok().stdout;
    let header: Vec<&str> = table
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split('|')
        .map(str::trim)
        .collect();
    assert_eq!(header, ["", "ID", "Name", "Is Public", ""], "{table}");
    let long = env.run(&["volume", "type", "list", "--long", "-f", "json"]).ok().json();
    let perf = long
        .as_array()
        .expect("array")
        .iter()
        .find(|t| t["ID"] == perf1.as_str())
        .expect("perf1 listed");
    assert_eq!(perf["Description"], "fast");
    assert_eq!(
        perf["Properties"],
        serde_json::json!({"RESKEY:availability_zones": "nova"})
    );
    let by_name = env.run(&["volume", "type", "show", "perf1", "-f", "json"]).ok().json();
    assert_eq!(by_name["id"], perf1.as_str());
    assert_eq!(by_name["is_public"], true);
    let by_id = env.values(&["volume", "type", "show", &perf1, "-c", "name"]);
    assert_eq!(by_id, ["perf1"]);
    let missing = env.run(&["volume", "type", "show", "gold"]).failed();
    assert_eq!(
        missing.stderr.trim(),
        "Error: not-found: No volume type with a name or ID of 'gold' exists."
    );

    let zones = env.run(&["availability", "zone", "list", "--volume"]).ok().stdout;
    assert!(zones.contains("| Zone Name | Zone Status |"), "{zones}");
    assert!(zones.contains("| nova      | available   |"), "{zones}");

    env.volume("one");
    env.run(&["volume", "create", "--size", "2", "--type", "perf1", "--wait", "two"])
        .ok();
    env.cloud.set_quota("backups", -1);
    let limits = env.values(&["limits", "show", "--absolute"]);
    assert_eq!(
        limits,
        [
            "maxTotalVolumes 10",
            "maxTotalSnapshots 10",
            "maxTotalBackups -1",
            "maxTotalVolumeGigabytes 1000",
            "maxTotalBackupGigabytes 1000",
            "totalVolumesUsed 2",
            "totalSnapshotsUsed 0",
            "totalBackupsUsed 0",
            "totalGigabytesUsed 3",
            "totalBackupGigabytesUsed 0",
        ]
    );
    let usage = env.run(&["limits", "show"]);
    assert_eq!(usage.code, 2, "--absolute is required: {}", usage.stderr);
}

#[test]
fn lists_are_bounded_sorted_and_filtered_by_the_server() {
    let env = Env::new("bounded", 0);
    let ids = env.cloud.seed_volumes("vol-", 5);
    env.cloud.clear_requests();
    let two = env.values(&["volume", "list", "--limit", "2", "-c", "Name"]);
    assert_eq!(two.len(), 2, "{two:?}");
    let pages = env
        .cloud
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/volumes/detail"))
        .count();
    assert_eq!(pages, 1, "--limit fetches no page beyond it");
    let desc = env.values(&["volume", "list", "--sort", "name:desc", "-c", "Name"]);
    assert_eq!(desc, ["vol-4", "vol-3", "vol-2", "vol-1", "vol-0"]);
    let after = env.values(&[
        "volume", "list", "--sort", "name:asc", "--limit", "2", "--marker", &ids[1], "-c", "Name",
    ]);
    assert_eq!(after, ["vol-2", "vol-3"]);

    env.run(&["volume", "set", "--property", "team=a", "vol-1"]).ok();
    env.run(&[
        "volume",
        "set",
        "--property",
        "team=a",
        "--property",
        "env=prod",
        "vol-3",
    ])
    .ok();
    let team = env.values(&[
        "volume",
        "list",
        "--property",
        "team=a",
        "--sort",
        "name:asc",
        "-c",
        "Name",
    ]);
    assert_eq!(team, ["vol-1", "vol-3"]);
    let both = env.values(&[
        "volume",
        "list",
        "--property",
        "team=a",
        "--property",
        "env=prod",
        "-c",
        "Name",
    ]);
    assert_eq!(both, ["vol-3"]);
    let long = env
        .run(&["volume", "list", "--long", "--limit", "1", "-f", "json"])
        .ok()
        .json();
    for column in ["Type", "Bootable", "Properties"] {
        assert!(long[0].get(column).is_some(), "{column} in {long}");
    }

    for (volume, snaps) in [("vol-0", ["s0a", "s0b"]), ("vol-1", ["s1a", "s1b"])] {
        for name in snaps {
            env.run(&["snapshot", "create", "--volume", volume, "--wait", name])
                .ok();
        }
        env.run(&["backup", "create", "--name", &format!("b-{volume}"), "--wait", volume])
            .ok();
    }
    let of_one = env.values(&[
        "snapshot",
        "list",
        "--volume",
        "vol-1",
        "--sort",
        "name:desc",
        "-c",
        "Name",
    ]);
    assert_eq!(of_one, ["s1b", "s1a"]);
    let query = env
        .cloud
        .requests()
        .last()
        .and_then(|r| r.query.clone())
        .unwrap_or_default();
    assert!(
        query.contains(&format!("volume_id={}", ids[1])),
        "filtered by the server: {query}"
    );
    let first = env.values(&[
        "volume", "snapshot", "list", "--sort", "name:asc", "--limit", "1", "-c", "Name",
    ]);
    assert_eq!(first, ["s0a"]);
    let backups = env.values(&["backup", "list", "--volume", "vol-0", "-c", "Name"]);
    assert_eq!(backups, ["b-vol-0"]);
    let limited = env.values(&[
        "volume",
        "backup",
        "list",
        "--limit",
        "1",
        "--sort",
        "name:desc",
        "-c",
        "Name",
    ]);
    assert_eq!(limited, ["b-vol-1"]);
}

#[test]
fn bad_list_options_are_refused_before_anything_is_sent() {
    let env = Env::new("bad-options", 0);
    for (args, option) in [
        (&["volume", "list", "--property", "novalue"][..], "--property"),
        (&["volume", "list", "--limit", "0"][..], "--limit"),
        (&["snapshot", "list", "--limit", "many"][..], "--limit"),
        (&["backup", "list", "--sort", "name:sideways"][..], "--sort"),
        (&["volume", "list", "--sort", "name,"][..], "--sort"),
        (&["volume", "set", "--property", "k", "v"][..], "--property"),
        (
            &["volume", "create", "--size", "1", "--property", "k", "v"][..],
            "--property",
        ),
        (&["backup", "create", "--property", "k", "v"][..], "--property"),
        (&["volume", "unset", "v"][..], "--property"),
    ] {
        let run = env.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(option), "{args:?}: {}", run.stderr);
    }
    let refused = env.run(&["volume", "list", "--property", "novalue"]);
    assert!(
        refused.stderr.contains("Expected 'key=value' type, but got: novalue"),
        "{}",
        refused.stderr
    );
    assert!(env.cloud.requests().is_empty(), "nothing sent for usage errors");

    // A key Cinder does not sort by: the component says so before any list request.
    let unknown = env.run(&["volume", "list", "--sort", "colour"]).failed();
    assert!(
        unknown
            .stderr
            .starts_with("Error: invalid-input: sort: unknown key \"colour\""),
        "{}",
        unknown.stderr
    );
    let listed = env.cloud.requests().iter().any(|r| r.path.contains("/volumes"));
    assert!(!listed, "no list request for a bad sort key");
}

#[test]
fn a_failed_volume_says_why_and_its_messages_are_listed() {
    let env = Env::with(
        "messages",
        MockOptions {
            transition: Duration::ZERO,
            backend_max_volume_gb: 1,
            ..MockOptions::default()
        },
    );
    let run = env
        .run(&["volume", "create", "--size", "2", "--wait", "too-big"])
        .failed();
    let id = env.values(&["volume", "show", "too-big", "-c", "id"]).concat();
    let expected = format!("Error: resource-failed: volume {id} reached status error while waiting for available: ");
    let reason = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix(&expected))
        .unwrap_or_else(|| panic!("the reason after {expected:?} in:\n{}", run.stderr));

    let listed = env
        .run(&["volume", "message", "list", "--resource-id", &id, "-f", "json"])
        .ok()
        .json();
    let messages = listed.as_array().expect("array");
    assert!(!messages.is_empty(), "{listed}");
    assert_eq!(messages[0]["User Message"], reason, "the reason is the newest message");
    for m in messages {
        assert_eq!(m["Resource UUID"], id.as_str());
        assert_eq!(m["Resource Type"], "VOLUME");
        assert_eq!(m["Message Level"], "ERROR");
    }
    env.volume("fine");
    let all = env.values(&["volume", "message", "list", "-c", "Resource UUID"]);
    assert_eq!(all.len(), messages.len(), "a volume that worked has no messages");
    let none = env.values(&["volume", "message", "list", "--resource-id", &env.volume("other")]);
    assert!(none.is_empty(), "{none:?}");
}

/// The bodies of the volume actions (`POST …/volumes/{id}/action`) the mock received, in
/// order.
fn volume_actions(cloud: &MockCloud, id: &str) -> Vec<Value> {
    cloud
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&format!("/volumes/{id}/action")))
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON body"))
        .collect()
}

#[test]
fn volume_delete_cascade_removes_the_snapshots() {
    let env = Env::new("cascade", 0);
    let vol = env.volume("parent");
    for name in ["s1", "s2"] {
        env.run(&["snapshot", "create", "--volume", "parent", "--wait", name])
            .ok();
    }
    let refused = env.run(&["volume", "delete", "parent"]).failed();
    assert!(
        refused.stderr.contains("have snapshots") && refused.stderr.contains("bad-request (400)"),
        "{}",
        refused.stderr
    );
    assert_eq!(env.cloud.counts().snapshots, 2, "nothing deleted without --cascade");

    env.run(&["volume", "delete", "--cascade", "--wait", "parent"]).ok();
    let delete = env
        .cloud
        .requests()
        .into_iter()
        .rfind(|r| r.method == "DELETE" && r.path.ends_with(&format!("/volumes/{vol}")))
        .expect("a DELETE of the volume");
    assert_eq!(delete.query.as_deref(), Some("cascade=true"));
    assert_eq!(
        env.run(&["snapshot", "list", "-f", "json"]).ok().json(),
        Value::Array(vec![])
    );
    let left = env.cloud.counts();
    assert_eq!((left.volumes, left.snapshots), (0, 0), "{left:?}");

    // openstackclient's spelling, --purge.
    env.volume("again");
    env.run(&["snapshot", "create", "--volume", "again", "--wait", "s3"])
        .ok();
    env.run(&["volume", "delete", "--purge", "--wait", "again"]).ok();
    let left = env.cloud.counts();
    assert_eq!((left.volumes, left.snapshots), (0, 0), "{left:?}");
}

#[test]
fn volume_set_flags_and_type() {
    let env = Env::with(
        "set-flags",
        MockOptions {
            transition: Duration::from_millis(300),
            volume_types: vec![MockVolumeType::new("perf1"), MockVolumeType::new("perf2")],
            ..MockOptions::default()
        },
    );
    let id = env.volume("flags");
    let show = |name: &str| env.run(&["volume", "show", name, "-f", "json"]).ok().json();
    let before = show("flags");
    assert_eq!(
        (&before["bootable"], &before["read_only"]),
        (&Value::from("false"), &Value::from(false))
    );

    // The new flags combine with the other changes of `volume set`.
    env.run(&[
        "volume",
        "set",
        "--bootable",
        "--read-only",
        "--property",
        "tier=gold",
        "--name",
        "boot",
        "flags",
    ])
    .ok();
    let after = show("boot");
    assert_eq!(after["id"], id.as_str());
    assert_eq!(after["bootable"], "true");
    assert_eq!(after["read_only"], true);
    assert_eq!(after["properties"]["tier"], "gold");
    assert_eq!(after["properties"]["readonly"], "True", "as openstackclient shows it");
    let table = env.run(&["volume", "show", "boot"]).ok().stdout;
    assert!(table.contains("| read_only         | True "), "{table}");

    env.run(&["volume", "set", "--non-bootable", "--read-write", "boot"])
        .ok();
    let back = show("boot");
    assert_eq!(
        (&back["bootable"], &back["read_only"]),
        (&Value::from("false"), &Value::from(false))
    );

    // A retype: `never` migrates unless told (openstackclient's default), --wait waits for it.
    env.run(&["volume", "set", "--type", "perf1", "--wait", "boot"]).ok();
    assert_eq!(show("boot")["type"], "perf1");
    // Without --wait it is still retyping right after (one session: within the transition).
    let script = "volume set --type perf2 --retype-policy on-demand boot\nvolume show boot -f value -c status\n";
    let during = run_script(&env.dir, &env.vars, &[], script).ok();
    assert_eq!(during.stdout, "retyping\n", "{}", during.stderr);
    let settled = (0..50)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            show("boot")
        })
        .find(|v| v["status"] == "available")
        .expect("the retype ends");
    assert_eq!(settled["type"], "perf2");
    let actions = volume_actions(&env.cloud, &id);
    let retypes: Vec<&Value> = actions.iter().filter_map(|a| a.get("os-retype")).collect();
    assert_eq!(
        retypes,
        [
            &serde_json::json!({"new_type": "perf1", "migration_policy": "never"}),
            &serde_json::json!({"new_type": "perf2", "migration_policy": "on-demand"}),
        ]
    );
    for flag in [
        serde_json::json!({"os-set_bootable": {"bootable": true}}),
        serde_json::json!({"os-update_readonly_flag": {"readonly": true}}),
        serde_json::json!({"os-set_bootable": {"bootable": false}}),
        serde_json::json!({"os-update_readonly_flag": {"readonly": false}}),
    ] {
        assert!(actions.contains(&flag), "{flag} in {actions:?}");
    }

    // The same type again: Cinder's refusal, as the server said it.
    let same = env
        .run(&["volume", "set", "--type", "perf2", "--wait", "boot"])
        .failed();
    assert!(
        same.stderr.starts_with("Error: bad-request (400)") && same.stderr.contains("Retype needs volume"),
        "{}",
        same.stderr
    );
    let usage = env.run(&["volume", "set", "--retype-policy", "never", "boot"]);
    assert_eq!(usage.code, 2, "--retype-policy needs --type: {}", usage.stderr);
}

#[test]
fn volume_revert_to_its_latest_snapshot() {
    let env = Env::new("revert", 300);
    let id = env.volume("disk");
    env.run(&["snapshot", "create", "--volume", "disk", "--wait", "older"])
        .ok();
    let latest = env
        .run(&[
            "snapshot", "create", "--volume", "disk", "--wait", "-f", "value", "-c", "id", "latest",
        ])
        .ok()
        .line()
        .to_string();

    let refused = env.run(&["volume", "revert", "older"]).failed();
    assert!(
        refused.stderr.starts_with("Error: bad-request (400)")
            && refused.stderr.contains("is None or not the latest one of volume"),
        "{}",
        refused.stderr
    );

    // By snapshot name: the volume is the snapshot's; not again while it is reverting
    // (Cinder's 409). One session, so that all of it happens within the transition.
    let script = "volume revert latest\nvolume show disk -f value -c status\nvolume revert latest\n";
    let busy = run_script(&env.dir, &env.vars, &[], script).failed();
    assert_eq!(busy.stdout, "reverting\n", "{}", busy.stderr);
    assert!(
        busy.stderr.contains("Volume's status must be 'available'"),
        "{}",
        busy.stderr
    );
    let waited = (0..30)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            env.values(&["volume", "show", "disk", "-c", "status"])
        })
        .any(|s| s == ["available"]);
    assert!(waited, "the volume is available again");
    let waited = env.run(&["volume", "revert", &latest, "--wait"]).ok();
    assert!(waited.stderr.contains(": reverting"), "{}", waited.stderr);
    assert_eq!(env.values(&["volume", "show", "disk", "-c", "status"]), ["available"]);
    let reverts: Vec<Value> = volume_actions(&env.cloud, &id)
        .into_iter()
        .filter_map(|a| a.get("revert").cloned())
        .collect();
    assert_eq!(reverts.len(), 4, "{reverts:?}");
    assert_eq!(reverts[3], serde_json::json!({"snapshot_id": latest}));
}

#[test]
fn image_create_from_a_volume() {
    let env = Env::new("image", 100);
    let vol = env.volume("golden");
    let image = env
        .run(&[
            "image",
            "create",
            "--volume",
            "golden",
            "--disk-format",
            "qcow2",
            "--private",
            "--protected",
            "--wait",
            "-f",
            "json",
            "golden-image",
        ])
        .ok()
        .json();
    let image_id = image["id"].as_str().expect("id");
    assert_eq!(image_id.len(), 36, "an image UUID: {image}");
    assert_ne!(image_id, vol.as_str());
    assert_eq!(image["name"], "golden-image");
    assert_eq!(image["disk_format"], "qcow2");
    assert_eq!(image["container_format"], "bare");
    assert_eq!(image["status"], "uploading");
    assert_eq!(image["volume_id"], vol.as_str());
    assert_eq!(
        env.values(&["volume", "show", "golden", "-c", "status"]),
        ["available"],
        "--wait waited for the upload"
    );
    let upload = volume_actions(&env.cloud, &vol)
        .into_iter()
        .find_map(|a| a.get("os-volume_upload_image").cloned())
        .expect("an upload");
    assert_eq!(upload["image_name"], "golden-image");
    assert_eq!(upload["visibility"], "private");
    assert_eq!(upload["protected"], true);
    assert_eq!(upload["force"], false);

    let table = env.run(&["image", "create", "--volume", &vol, "plain"]).ok().stdout;
    assert!(table.contains("| name             | plain "), "{table}");
    assert!(table.contains("| disk_format      | raw "), "{table}");

    // A normal project member may not publish an image: the server's policy message.
    let public = env
        .run(&["image", "create", "--volume", "golden", "--public", "--force", "pub"])
        .failed();
    assert!(
        public.stderr.starts_with("Error: forbidden (403)") && public.stderr.contains("upload_public"),
        "{}",
        public.stderr
    );
    let usage = env.run(&["image", "create", "no-volume"]);
    assert_eq!(usage.code, 2, "--volume is required: {}", usage.stderr);
}

#[test]
fn transfer_requests_from_create_to_accept_in_another_project() {
    let env = Env::new("transfer", 0);
    let vol = env.volume("moving");

    // The auth key is shown by create, once; --debug masks it.
    let created = env
        .run(&[
            "--debug", "volume", "transfer", "request", "create", "--name", "tr", "moving", "-f", "json",
        ])
        .ok();
    let shown = created.json();
    let key = shown["auth_key"].as_str().expect("auth_key").to_string();
    assert!(!key.is_empty());
    assert!(
        !created.stderr.contains(&key) && created.stderr.contains(r#""auth_key":"***""#),
        "{}",
        created.stderr
    );
    let tid = shown["id"].as_str().expect("id").to_string();
    assert_eq!(shown["name"], "tr");
    assert_eq!(shown["volume_id"], vol.as_str());
    assert!(shown["created_at"].as_str().is_some_and(|c| !c.is_empty()), "{shown}");

    let listed = env
        .run(&["volume", "transfer", "request", "list", "-f", "json"])
        .ok()
        .json();
    assert_eq!(listed, serde_json::json!([{"ID": tid, "Name": "tr", "Volume": vol}]));
    let by_name = env
        .run(&["volume", "transfer", "request", "show", "tr", "-f", "json"])
        .ok();
    assert_eq!(by_name.json()["id"], tid.as_str());
    assert!(
        !by_name.stdout.contains(&key),
        "show has no auth key: {}",
        by_name.stdout
    );
    assert_eq!(
        env.values(&["volume", "show", "moving", "-c", "status"]),
        ["awaiting-transfer"]
    );

    // A wrong key: the server's 400, and the key given never in --debug.
    let wrong = "0123456789abcdef";
    let refused = env
        .run(&[
            "--debug",
            "volume",
            "transfer",
            "request",
            "accept",
            "--auth-key",
            wrong,
            &tid,
        ])
        .failed();
    assert!(
        refused.stderr.contains("Error: bad-request (400) [req-")
            && refused.stderr.contains(&format!(
                "Invalid auth key: Attempt to transfer {tid} with invalid auth key."
            )),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains(wrong), "{}", refused.stderr);

    // Delete cancels it: the volume is available again.
    env.run(&["volume", "transfer", "request", "delete", "tr"]).ok();
    assert_eq!(env.run(&["volume", "transfer", "request", "list"]).ok().stdout, "");
    assert_eq!(env.values(&["volume", "show", "moving", "-c", "status"]), ["available"]);
    let gone = env.run(&["volume", "transfer", "request", "show", &tid]).failed();
    assert!(gone.stderr.contains("not-found"), "{}", gone.stderr);

    // Accepted by another project (a token scoped to it, on its Cinder endpoint).
    let key = env
        .run(&[
            "volume", "transfer", "request", "create", "moving", "-f", "value", "-c", "auth_key",
        ])
        .ok()
        .line()
        .to_string();
    let tid = env
        .values(&["volume", "transfer", "request", "list", "-c", "ID"])
        .remove(0);
    let other = "fedcba9876543210fedcba9876543210";
    let receiver = vec![
        ("OS_AUTH_TYPE", "token".to_string()),
        ("OS_TOKEN", env.cloud.issue_token_for(other)),
        (
            "OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE",
            env.cloud.block_storage_url_for(other),
        ),
    ];
    assert_eq!(
        run_in(&env.dir, &receiver, &["volume", "list"]).ok().stdout,
        "",
        "the other project has no volume yet"
    );
    let accepted = run_in(
        &env.dir,
        &receiver,
        &[
            "--debug",
            "volume",
            "transfer",
            "request",
            "accept",
            "--auth-key",
            &key,
            &tid,
            "-f",
            "json",
        ],
    )
    .ok();
    assert_eq!(accepted.json()["volume_id"], vol.as_str());
    assert_eq!(accepted.json()["id"], tid.as_str());
    assert!(!accepted.stderr.contains(&key), "{}", accepted.stderr);
    let theirs = run_in(&env.dir, &receiver, &["volume", "list", "-f", "value", "-c", "ID"]).ok();
    assert_eq!(theirs.line(), vol);
    assert_eq!(
        env.run(&["volume", "list"]).ok().stdout,
        "",
        "the volume left this project"
    );
    assert_eq!(env.run(&["volume", "transfer", "request", "list"]).ok().stdout, "");
}

#[test]
fn idempotency_keys_make_creates_repeatable() {
    let env = Env::new("idempotency", 0);
    let create = || {
        env.run(&[
            "volume",
            "create",
            "--size",
            "1",
            "--idempotency-key",
            "k-vol",
            "--wait",
            "-f",
            "value",
            "-c",
            "id",
            "once",
        ])
        .ok()
        .line()
        .to_string()
    };
    let first = create();
    assert_eq!(create(), first);
    assert_eq!(env.values(&["volume", "list", "-c", "ID"]), [first.as_str()]);
    let changed = env
        .run(&["volume", "create", "--size", "2", "--idempotency-key", "k-vol", "once"])
        .failed();
    assert!(changed.stderr.starts_with("Error: conflict"), "{}", changed.stderr);

    let snapshot = || {
        env.run(&[
            "volume",
            "snapshot",
            "create",
            "--volume",
            "once",
            "--idempotency-key",
            "k-snap",
            "--wait",
            "-f",
            "value",
            "-c",
            "id",
            "snap",
        ])
        .ok()
        .line()
        .to_string()
    };
    let snap = snapshot();
    assert_eq!(snapshot(), snap);
    assert_eq!(env.values(&["snapshot", "list", "-c", "ID"]), [snap]);

    let backup = || {
        env.run(&[
            "volume",
            "backup",
            "create",
            "--name",
            "bk",
            "--idempotency-key",
            "k-bk",
            "--wait",
            "-f",
            "value",
            "-c",
            "id",
            "once",
        ])
        .ok()
        .line()
        .to_string()
    };
    let bk = backup();
    assert_eq!(backup(), bk);
    assert_eq!(env.values(&["backup", "list", "-c", "ID"]), [bk]);
    let left = env.cloud.counts();
    assert_eq!((left.volumes, left.snapshots, left.backups), (1, 1, 1), "{left:?}");
}

/// How `secret` may show: as is, or JSON-escaped (`\"`, `\\`, `\/`).
fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    let json = json.trim_matches('"').to_string();
    vec![secret.to_string(), json.replace('/', "\\/"), json]
}

fn assert_hidden(out: &str, secret: &str) {
    for form in forms(secret) {
        assert!(!out.contains(&form), "{form:?} shows in:\n{out}");
    }
}

/// A 401 from Keystone whose message names `secret`, as some deployments send it.
fn echoing_401(secret: &str) -> Fault {
    let body = serde_json::json!({"error": {"code": 401, "title": "Unauthorized",
        "message": format!("Invalid password {secret}")}});
    Fault::new(
        Some("POST"),
        "/auth/tokens",
        FaultKind::Status {
            status: 401,
            body: Some(body.to_string()),
            retry_after: None,
        },
    )
}

/// A 400 from Cinder's volume list whose message names `secret`.
fn echoing_400(secret: &str) -> Fault {
    let body = serde_json::json!({"badRequest": {"code": 400, "message": format!("bad token {secret}")}});
    Fault::new(
        Some("GET"),
        "/volumes",
        FaultKind::Status {
            status: 400,
            body: Some(body.to_string()),
            retry_after: None,
        },
    )
}

#[test]
fn a_password_keystone_echoes_never_prints() {
    let env = Env::new("echo-password", 0);
    let password = r#"pa"ss/w\ord-1234"#;
    let vars = vec![
        ("OS_AUTH_URL", env.cloud.auth_url()),
        ("OS_USERNAME", USER_NAME.to_string()),
        ("OS_PASSWORD", password.to_string()),
        ("OS_PROJECT_NAME", "demo-project".to_string()),
        ("OS_USER_DOMAIN_NAME", "Default".to_string()),
        ("OS_PROJECT_DOMAIN_NAME", "Default".to_string()),
    ];
    for debug in [false, true] {
        env.cloud.inject(echoing_401(password));
        let args: &[&str] = if debug {
            &["--debug", "volume", "list"]
        } else {
            &["volume", "list"]
        };
        let run = run_in(&env.dir, &vars, args).failed();
        assert_hidden(&run.stderr, password);
        assert!(
            run.stderr.contains("Error: unauthorized (401)") && run.stderr.contains("Invalid password ***"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_token_cinder_echoes_never_prints() {
    let env = Env::new("echo-token", 0);
    let token = env.cloud.issue_token();
    let vars = vec![
        ("OS_AUTH_TYPE", "token".to_string()),
        ("OS_TOKEN", token.clone()),
        ("OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE", env.cloud.block_storage_url()),
    ];
    env.cloud.inject(echoing_400(&token));
    let run = run_in(&env.dir, &vars, &["volume", "list"]).failed();
    assert_hidden(&run.stderr, &token);
    assert!(run.stderr.contains("bad token ***"), "{}", run.stderr);
}

/// A token Keystone gave during the run, not configured: the CLI learns it on the wire.
#[test]
fn a_token_learned_on_the_wire_never_prints() {
    use std::io::BufRead;
    let env = Env::new("echo-learned", 0);
    warm_up();
    let mut child = command(&env.dir, &env.vars, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ibs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"volume list -f json\n").expect("write");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the first list");
    assert_eq!(first, "[]\n");
    let token = env
        .cloud
        .requests()
        .iter()
        .flat_map(|r| r.headers.clone())
        .find_map(|(k, v)| k.eq_ignore_ascii_case("x-auth-token").then_some(v))
        .expect("the child's token");
    env.cloud.inject(echoing_400(&token));
    stdin.write_all(b"volume list\n").expect("write");
    drop(stdin);
    let run = finish(child.wait_with_output().expect("wait")).failed();
    assert_hidden(&run.stderr, &token);
    assert!(run.stderr.contains("bad token ***"), "{}", run.stderr);
}

#[test]
fn debug_masks_short_secrets_by_structure_only() {
    let env = Env::new("short-secret", 0);
    let vars = vec![
        ("OS_AUTH_URL", env.cloud.auth_url()),
        ("OS_USERNAME", USER_NAME.to_string()),
        ("OS_PASSWORD", "e".to_string()),
        ("OS_PROJECT_NAME", "demo-project".to_string()),
        ("OS_USER_DOMAIN_NAME", "Default".to_string()),
        ("OS_PROJECT_DOMAIN_NAME", "Default".to_string()),
    ];
    let run = run_in(&env.dir, &vars, &["--debug", "volume", "list"]).failed();
    let err = &run.stderr;
    assert!(err.contains("/identity/v3/auth/tokens"), "{err}");
    assert!(err.contains(r#""password":"***""#), "{err}");
    assert!(!err.contains("id***ntity"), "{err}");
}

#[test]
fn names_with_terminal_controls_print_escaped() {
    let env = Env::new("controls", 0);
    let name = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}txt";
    let shown = r"evil\x1b]0;pwned\x07\x1b[2J\u{202e}txt";
    let id = "6f1b7c2e-0000-4000-8000-000000000001";
    let body = serde_json::json!({"volumes": [{"id": id, "name": name, "status": "available", "size": 1,
        "availability_zone": "nova", "created_at": "2024-01-01T00:00:00.000000", "description": null,
        "volume_type": "standard", "attachments": [], "bootable": "false", "encrypted": false,
        "multiattach": false, "metadata": {}, "links": []}]});
    for format in ["table", "value"] {
        env.cloud.inject(Fault::new(
            Some("GET"),
            "/volumes",
            FaultKind::Status {
                status: 200,
                body: Some(body.to_string()),
                retry_after: None,
            },
        ));
        let run = env.run(&["volume", "list", "-f", format]).ok();
        assert!(run.stdout.contains(shown), "{}", run.stdout);
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{202e}'),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn an_untrusted_artifact_cache_is_not_used_and_said_once() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("untrusted-cache");
    let base = dir.join("cache");
    let cache = base.join("infomaniak-block-storage");
    std::fs::create_dir_all(&cache).expect("cache dir");
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let r = run_in(
        &dir,
        &[("XDG_CACHE_HOME", base.display().to_string())],
        &["--mock", "volume", "list"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(
        warnings[0].contains("not using the artifact cache") && warnings[0].contains("writable"),
        "{}",
        warnings[0]
    );
    assert_eq!(
        std::fs::read_dir(&cache).expect("cache dir").count(),
        0,
        "nothing written"
    );

    // IBS_NO_CACHE: no cache read or made.
    let fresh = dir.join("fresh");
    let env = [
        ("XDG_CACHE_HOME", fresh.display().to_string()),
        ("IBS_NO_CACHE", "1".into()),
    ];
    let r = run_in(&dir, &env, &["--mock", "volume", "list"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!fresh.exists() && !r.stderr.contains("warning"), "{}", r.stderr);
}

/// A child process killed when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_runs_the_edge_function_over_http() {
    use host_test::edge::{function, Client};
    use std::io::{BufRead, BufReader};

    let env = Env::new("serve", 0);
    let url = env.cloud.block_storage_url();
    let path = env.dir.join("function.wasm");
    std::fs::write(&path, function(&url)).expect("writing the function");
    let args = [
        "serve",
        path.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--allow",
        &url,
    ];
    let mut child = command(&env.dir, &[], &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ibs serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Killed(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("the serving line");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {line}"));

    let token = env.cloud.issue_token();
    let auth = [("x-auth-token", token.as_str())];
    let mut c = Client::connect(addr);
    let created = c.call("POST", "/volumes", &auth, r#"{"size": 1, "name": "served"}"#);
    assert_eq!(created.status, 202, "{}", String::from_utf8_lossy(&created.body));
    let id = created.json()["id"].as_str().unwrap().to_string();
    let got = c.call("GET", &format!("/volumes/{id}"), &auth, "").json();
    assert_eq!(got["name"], "served", "{got}");
    let refused = c.call("GET", "/volumes", &[("x-auth-token", "not-a-token-0123456789")], "");
    assert_eq!(
        (refused.status, refused.json()["kind"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(c.call("DELETE", &format!("/volumes/{id}"), &auth, "").status, 204);
    assert_eq!(env.cloud.counts().volumes, 0);
    drop(server);

    let missing = env.run(&["serve", "no-such-function.wasm"]).failed();
    assert!(
        missing
            .stderr
            .contains("Error: invalid-input: function: cannot read no-such-function.wasm"),
        "{}",
        missing.stderr
    );
}
