//! Replays `fixtures/real-nova-transcript.txt` (a real Nova 34.0.0 in front of a
//! real Cinder 29.0.0, recorded by `fixtures/record-real-nova.py`) against the mock:
//! every step's status, Content-Type, version and request-id headers, body (ids
//! normalised; Cinder's volumes by status and attachments only) and the volume's
//! statuses as polled afterwards (`reserved attaching in-use`, `detaching available`).

use crate::common::{request, Response};
use crate::{client, create_volume, wait_status};
use mock_cloud::{MockCloud, MockOptions};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TRANSCRIPT: &str = include_str!("../../../fixtures/real-nova-transcript.txt");
const UNKNOWN: &str = "7e0b3f4a-9c1d-4e2f-8a6b-5c4d3e2f1a0b";

/// One recorded exchange.
#[derive(Debug, Default)]
struct Step {
    name: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    status: u16,
    resp_headers: Vec<(String, String)>,
    resp_body: String,
    /// `# statuses {vN}: a b c` after the exchange.
    statuses: Option<(String, Vec<String>)>,
}

impl Step {
    fn resp_header(&self, name: &str) -> Vec<&str> {
        self.resp_headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn parse(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for block in text
        .split("\n==================================================================\n")
        .skip(1)
    {
        let mut s = Step::default();
        let (req, resp) = block.split_once("\n<<<\n").expect("<<<");
        for line in req.lines() {
            if let Some(n) = line.strip_prefix("### ") {
                s.name = n.to_string();
            } else if let Some(l) = line.strip_prefix(">>> ") {
                if s.method.is_empty() {
                    let (m, u) = l.split_once(' ').unwrap();
                    (s.method, s.url) = (m.to_string(), u.to_string());
                } else if l.starts_with('{') {
                    s.body = Some(l.to_string());
                } else {
                    let (k, v) = l.split_once(':').unwrap();
                    s.headers.push((k.to_string(), v.trim().to_string()));
                }
            } else if let Some(l) = line.strip_prefix(">>>") {
                // An empty header value (`X-Auth-Token: `).
                let (k, _) = l.trim().split_once(':').unwrap();
                s.headers.push((k.to_string(), String::new()));
            }
        }
        let (head, rest) = resp.split_once("\n\n").expect("blank line");
        let mut lines = head.lines();
        s.status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        for l in lines {
            let (k, v) = l.split_once(':').unwrap();
            s.resp_headers.push((k.to_string(), v.trim().to_string()));
        }
        let end = rest.rfind("\n# (").expect("# (N ms)");
        s.resp_body = rest[..end].to_string();
        for l in rest[end..].lines() {
            if let Some(x) = l.strip_prefix("# statuses ") {
                let (v, seq) = x.split_once(": ").unwrap();
                s.statuses = Some((v.to_string(), seq.split(' ').map(str::to_string).collect()));
            }
        }
        steps.push(s);
    }
    steps
}

/// Placeholders (`{v1}`) and the mock's ids, both ways.
struct Names {
    ids: BTreeMap<String, String>,
    counters: BTreeMap<String, usize>,
}

impl Names {
    fn add(&mut self, placeholder: &str, id: &str) {
        self.ids.insert(placeholder.to_string(), id.to_string());
    }
    fn name(&mut self, id: &str, kind: &str) {
        if self.ids.values().any(|v| v == id) {
            return;
        }
        let n = self.counters.entry(kind.to_string()).or_default();
        *n += 1;
        let p = format!("{{{kind}{n}}}");
        self.add(&p, id);
    }
    /// As the recorder: attachment ids and BDM uuids named in order of appearance.
    fn walk(&mut self, j: &Value) {
        match j {
            Value::Object(o) => {
                for (k, v) in o {
                    match (k.as_str(), v.as_str()) {
                        ("attachment_id", Some(id)) => self.name(id, "aid"),
                        ("bdm_uuid", Some(id)) => self.name(id, "bdm"),
                        _ => self.walk(v),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| self.walk(x)),
            _ => {}
        }
    }
    fn fill(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (p, id) in &self.ids {
            out = out.replace(p, id);
        }
        out
    }
    fn norm(&self, s: &str) -> String {
        let mut ids: Vec<_> = self.ids.iter().collect();
        ids.sort_by_key(|(_, id)| std::cmp::Reverse(id.len()));
        let mut out = s.to_string();
        for (p, id) in ids {
            out = out.replace(id.as_str(), p);
        }
        norm_request_ids(&out)
    }
}

/// `req-<uuid>` -> `req-{rid}`.
fn norm_request_ids(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("req-") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        if rest.len() >= 36
            && rest.as_bytes()[..36]
                .iter()
                .all(|b| b.is_ascii_hexdigit() || *b == b'-')
        {
            out.push_str("{rid}");
            rest = &rest[36..];
        }
    }
    out.push_str(rest);
    out
}

/// A Cinder volume reduced to what the client looks at during an attach.
fn volume_essentials(j: &Value) -> Value {
    let v = &j["volume"];
    let atts: Vec<Value> = v["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a["attached_at"] = json!(a["attached_at"].is_string());
            a
        })
        .collect();
    json!({"status": v["status"], "attachments": atts})
}

fn compare_body(step: &Step, names: &Names, got: &Response) -> Result<(), String> {
    let want = &step.resp_body;
    let got_text = names.norm(&String::from_utf8_lossy(&got.body));
    let ctx = &step.name;
    if want.is_empty() || !want.starts_with('{') {
        return differ(ctx, "body", &got_text, want);
    }
    let want: Value = serde_json::from_str(want).unwrap();
    let Ok(got) = serde_json::from_str::<Value>(&got_text) else {
        return differ(ctx, "body", &got_text, &want);
    };
    if step.url.starts_with("{cinder}/volumes/") && step.status == 200 {
        differ(ctx, "volume", &volume_essentials(&got), &volume_essentials(&want))
    } else {
        differ(ctx, "body", &got, &want)
    }
}

/// Err (mock, real) when they differ.
fn differ<A: std::fmt::Debug + PartialEq<B>, B: std::fmt::Debug>(
    ctx: &str,
    what: &str,
    mock: &A,
    real: &B,
) -> Result<(), String> {
    if mock == real {
        Ok(())
    } else {
        Err(format!("{ctx}: {what}: mock {mock:?}, real {real:?}"))
    }
}

/// The volume's statuses as polled every few ms until `last` (repeats dropped).
fn poll(m: &MockCloud, token: &str, vid: &str, last: &str) -> Vec<String> {
    let url = format!("{}/volumes/{vid}", m.block_storage_url());
    let h = [("X-Auth-Token", token), ("OpenStack-API-Version", "volume 3.71")];
    let mut seen: Vec<String> = Vec::new();
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        let r = request("GET", &url, &h, None).unwrap();
        let s = r.json()["volume"]["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == last {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    seen
}

#[test]
fn mock_nova_answers_as_the_real_one() {
    let steps = parse(TRANSCRIPT);
    assert!(steps.len() > 40, "{}", steps.len());
    // Long enough for every transitional status to be seen by polling, as on the real one.
    let m = MockCloud::start_with(MockOptions {
        transition: Duration::from_millis(200),
        ..Default::default()
    });
    let c = client(&m, "3.71");
    let mut names = Names {
        ids: BTreeMap::new(),
        counters: BTreeMap::new(),
    };
    names.add("{nova}", &m.compute_url());
    names.add("{cinder}", &m.block_storage_url());
    names.add("{project}", &m.project_id());
    names.add("{server}", &m.add_server("seed-server"));
    names.add("{server2}", &m.add_server("second"));
    names.add("{unknown}", UNKNOWN);
    for i in 1..=5 {
        let vid = create_volume(&m, &c, json!({"volume": {"size": 1}}));
        wait_status(&m, &c, "volumes", &vid, Some("available"));
        names.add(&format!("{{v{i}}}"), &vid);
    }
    let mut failures = Vec::new();
    for step in &steps {
        let ctx = &step.name;
        let mut h: Vec<(String, String)> = Vec::new();
        for (k, v) in &step.headers {
            let v = if v == "{token}" { c.token.clone() } else { names.fill(v) };
            h.push((k.clone(), v));
        }
        let hr: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = step.body.as_ref().map(|b| names.fill(b));
        let r = request(&step.method, &names.fill(&step.url), &hr, body.as_deref()).unwrap();
        let text = String::from_utf8_lossy(&r.body).to_string();
        if let Ok(j) = serde_json::from_str::<Value>(&text) {
            names.walk(&j);
        }
        let mut checks = vec![
            differ(ctx, "status", &r.status, &step.status),
            compare_body(step, &names, &r),
        ];
        let content_type = step.resp_header("Content-Type").first().copied();
        checks.push(differ(ctx, "Content-Type", &r.header("Content-Type"), &content_type));
        let got_all = |n: &str| -> Vec<&str> {
            r.headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
                .collect()
        };
        if step.url.starts_with("{nova}") {
            // One header line each, as the real one (two `Vary` lines).
            for n in ["OpenStack-API-Version", "X-OpenStack-Nova-API-Version", "Vary"] {
                checks.push(differ(ctx, n, &got_all(n), &step.resp_header(n)));
            }
            let rid = r.header("x-openstack-request-id").map(norm_request_ids);
            checks.push(differ(
                ctx,
                "x-openstack-request-id",
                &rid.as_deref(),
                &Some("req-{rid}"),
            ));
            let same = r.header("x-compute-request-id") == r.header("x-openstack-request-id");
            checks.push(differ(
                ctx,
                "x-compute-request-id = x-openstack-request-id",
                &same,
                &true,
            ));
            // Keystone's unversioned base (`uri="http://127.0.0.1:32200"` on the real one).
            let unversioned =
                |a: Option<&str>| a.map(|a| a.starts_with("Keystone uri=\"http://") && !a.ends_with("/v3\""));
            let want = unversioned(step.resp_header("WWW-Authenticate").first().copied());
            checks.push(differ(
                ctx,
                "WWW-Authenticate unversioned",
                &unversioned(r.header("WWW-Authenticate")),
                &want,
            ));
        }
        if let Some((v, want)) = &step.statuses {
            let vid = &names.ids[v];
            let got = poll(&m, &c.token, vid, want.last().unwrap());
            // Polling may come after a short status (the real one once saw only
            // `in-use` after a race): the real sequence must end the mock's, and
            // be all of it when it has more than the final status.
            let ok = got.ends_with(want) && (want.len() == 1 || &got == want);
            if !ok {
                checks.push(Err(format!("{ctx}: statuses of {v}: mock {got:?}, real {want:?}")));
            }
        }
        failures.extend(checks.into_iter().filter_map(Result::err));
    }
    assert!(
        failures.is_empty(),
        "{} divergences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
