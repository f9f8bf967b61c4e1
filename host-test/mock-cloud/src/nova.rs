//! Nova `os-volume_attachments` under `/compute/v2.1`. Attach and detach talk to
//! Cinder over HTTP through its attachments API, as a real Nova (Queens+) does,
//! so the same Nova can front the mock's Cinder or another one.
//! Answers as a real Nova 34.0.0 (`host-test/fixtures/real-nova-transcript.txt`).

use crate::cinder::{bad, fault, not_found};
use crate::cinderclient::{Cinder, Reply};
use crate::server::{keystonemiddleware_401, lock, Req, Shared};
use crate::state::{Bdm, Resp};
use crate::util::{is_uuid_like, parse_version, pyrepr, pystr, req_id, uuid4};
use serde_json::{json, Value};

const MAX: (u32, u32) = (2, 104);
/// The compute host every server runs on.
const COMPUTE_HOST: &str = "mock-compute-01";

pub async fn handle(sh: &Shared, r: &Req) -> Resp {
    let rid = req_id();
    let (mut resp, ver) = route(sh, r).await;
    // Nova's own faults (webob) say their charset; keystonemiddleware's 401 does not.
    if resp.status >= 400 && resp.status != 401 {
        for h in resp
            .headers
            .iter_mut()
            .filter(|h| h.0 == "Content-Type" && h.1 == "application/json")
        {
            h.1 = "application/json; charset=UTF-8".into();
        }
    }
    let mut resp = resp
        .header("x-openstack-request-id", rid.clone())
        .header("x-compute-request-id", rid);
    if let Some(v) = ver {
        resp = resp
            .header("OpenStack-API-Version", format!("compute {v}"))
            .header("X-OpenStack-Nova-API-Version", v)
            .header("Vary", "OpenStack-API-Version")
            .header("Vary", "X-OpenStack-Nova-API-Version");
    }
    resp
}

fn no_instance(sid: &str) -> Resp {
    not_found(&format!("Instance {sid} could not be found."))
}

fn not_attached(sid: &str, vid: &str) -> Resp {
    not_found(&format!("Instance {sid} is not attached to volume {vid}"))
}

/// What the routes mapper answers for a path it does not know (webob's plain
/// 404, without version headers).
fn no_route() -> Resp {
    let mut resp = Resp::empty(404, "text/plain; charset=UTF-8");
    resp.body = crate::state::RespBody::Bytes(b"404 Not Found\n\nThe resource could not be found.\n\n   ".to_vec());
    resp
}

fn microversion(r: &Req) -> Result<(u32, u32), (Resp, Option<String>)> {
    let raw = r
        .header("OpenStack-API-Version")
        .and_then(|h| {
            h.split(',')
                .map(|s| s.trim())
                .find_map(|s| s.strip_prefix("compute "))
                .map(|s| s.trim().to_string())
        })
        .or_else(|| r.header("X-OpenStack-Nova-API-Version").map(|s| s.trim().to_string()));
    let Some(v) = raw else { return Ok((2, 1)) };
    if v == "latest" {
        return Ok(MAX);
    }
    match parse_version(&v) {
        None => Err((
            bad(&format!(
                "API Version String {v} is of invalid format. Must be of format MajorNum.MinorNum."
            )),
            None,
        )),
        Some(p) if p < (2, 1) || p > MAX => Err((
            fault(
                406,
                "computeFault",
                &format!(
                    "Version {v} is not supported by the API. Minimum is 2.1 and maximum is {}.{}.",
                    MAX.0, MAX.1
                ),
            ),
            Some(v),
        )),
        Some(p) => Ok(p),
    }
}

async fn route(sh: &Shared, r: &Req) -> (Resp, Option<String>) {
    let Some(rest) = r.path.strip_prefix("/compute/v2.1") else {
        return (crate::server::plain_not_found(), None);
    };
    let project = {
        let st = lock(sh);
        // In front of another Cinder, Nova leaves the token to it.
        let token = r.header("X-Auth-Token").unwrap_or("");
        let known = match st.opts.cinder_url {
            Some(_) => !token.is_empty(),
            None => st.token_valid(token),
        };
        if !known {
            return (keystonemiddleware_401(&st), None);
        }
        st.opts.project_id.clone()
    };
    let mv = match microversion(r) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let ver = Some(format!("{}.{}", mv.0, mv.1));
    let segs: Vec<&str> = rest.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    // Optional project id in the URL.
    let segs: &[&str] = match segs.first() {
        Some(p) if *p == project => &segs[1..],
        _ => &segs[..],
    };
    let resp = match (r.method.as_str(), segs) {
        ("POST", ["servers", sid, "os-volume_attachments"]) => attach(sh, r, sid, mv).await,
        ("DELETE", ["servers", sid, "os-volume_attachments", vid]) => detach(sh, r, sid, vid).await,
        (m, segs) => match read(sh, m, segs, mv) {
            Some(resp) => resp,
            None => return (no_route(), None),
        },
    };
    (resp, ver)
}

/// The GET routes (None: no such route).
fn read(sh: &Shared, method: &str, segs: &[&str], mv: (u32, u32)) -> Option<Resp> {
    let st = lock(sh);
    let server = |sid: &str| st.servers.iter().find(|s| s.id == sid);
    let resp = match (method, segs) {
        ("GET", []) => Resp::json(
            200,
            &json!({"version": {"id": "v2.1", "status": "CURRENT", "version": format!("{}.{}", MAX.0, MAX.1),
                "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
                "links": [{"rel": "self", "href": format!("{}/compute/v2.1/", st.bases.compute)},
                    {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}],
                "media-types": [{"base": "application/json",
                    "type": "application/vnd.openstack.compute+json;version=2.1"}]}}),
        ),
        ("GET", ["servers", sid]) => match server(sid) {
            Some(s) => Resp::json(
                200,
                &json!({"server": {"id": s.id, "name": s.name, "status": "ACTIVE",
                    "tenant_id": st.opts.project_id, "OS-EXT-STS:vm_state": "active",
                    "os-extended-volumes:volumes_attached": s.bdms.iter().map(|b| json!({"id": b.volume_id, "delete_on_termination": false})).collect::<Vec<_>>()}}),
            ),
            None => no_instance(sid),
        },
        ("GET", ["servers", sid, "os-volume_attachments"]) => match server(sid) {
            Some(s) => {
                let list: Vec<Value> = s.bdms.iter().map(|b| view(b, sid, mv, false)).collect();
                Resp::json(200, &json!({ "volumeAttachments": list }))
            }
            None => no_instance(sid),
        },
        ("GET", ["servers", sid, "os-volume_attachments", vid]) => match server(sid) {
            None => no_instance(sid),
            Some(s) => match s.bdms.iter().find(|b| b.volume_id == *vid) {
                Some(b) => Resp::json(200, &json!({"volumeAttachment": view(b, sid, mv, false)})),
                None => not_attached(sid, vid),
            },
        },
        _ => return None,
    };
    Some(resp)
}

/// An attachment as Nova shows it; `create`: the attach answer, which keeps the
/// volume id as `id` at every version and has no Cinder attachment id yet.
fn view(b: &Bdm, server_id: &str, mv: (u32, u32), create: bool) -> Value {
    let mut o = json!({"device": b.device, "serverId": server_id, "volumeId": b.volume_id});
    if mv < (2, 89) || create {
        o["id"] = json!(b.volume_id);
    }
    if mv >= (2, 70) {
        o["tag"] = json!(b.tag);
    }
    if mv >= (2, 79) {
        o["delete_on_termination"] = json!(b.delete_on_termination);
    }
    if mv >= (2, 89) && !create {
        o["attachment_id"] = json!(b.attachment_id);
        o["bdm_uuid"] = json!(b.bdm_uuid);
    }
    o
}

/// An attach request's body, validated.
struct AttachBody {
    volume_id: String,
    device: Option<String>,
    tag: Option<String>,
    delete_on_termination: bool,
}

fn attach_body(r: &Req, mv: (u32, u32)) -> Result<AttachBody, Resp> {
    let body: Value = serde_json::from_slice(&r.body).map_err(|_| bad("Malformed request body"))?;
    let Some(va) = body.get("volumeAttachment").and_then(|v| v.as_object()) else {
        return Err(bad(&format!(
            "Invalid input for field/attribute volumeAttachment. Value: {}. 'volumeAttachment' is a required property",
            pyrepr(&body)
        )));
    };
    let Some(vid_v) = va.get("volumeId") else {
        return Err(bad(&format!(
            "Invalid input for field/attribute volumeAttachment. Value: {}. 'volumeId' is a required property",
            pyrepr(&Value::Object(va.clone()))
        )));
    };
    let Some(volume_id) = vid_v.as_str().filter(|s| is_uuid_like(s)).map(|s| s.to_string()) else {
        return Err(bad(&format!(
            "Invalid input for field/attribute volumeId. Value: {}. {} is not a 'uuid'",
            pystr(vid_v),
            pyrepr(vid_v)
        )));
    };
    let device = match va.get("device") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if match_device(s).is_some() => Some(s.clone()),
        Some(v @ Value::String(s)) => {
            return Err(bad(&format!(
                "Invalid input for field/attribute device. Value: {s}. {} does not match '{DEVICE_PATTERN}'",
                pyrepr(v)
            )))
        }
        Some(other) => {
            return Err(bad(&format!(
                "Invalid input for field/attribute device. Value: {}. {} is not of type 'string', 'null'",
                pystr(other),
                pyrepr(other)
            )))
        }
    };
    let tag = if mv >= (2, 49) {
        va.get("tag").and_then(|t| t.as_str()).map(|s| s.to_string())
    } else {
        None
    };
    let delete_on_termination = mv >= (2, 79)
        && va
            .get("delete_on_termination")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
    Ok(AttachBody {
        volume_id,
        device,
        tag,
        delete_on_termination,
    })
}

/// The schema's pattern for a device name, as Nova's `block_device.match_device`.
const DEVICE_PATTERN: &str = "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$";

/// `DEVICE_PATTERN`'s groups (prefix, letters) for `device`, as Python's `re`
/// finds them (each optional character greedy first).
fn match_device(device: &str) -> Option<(String, String)> {
    let rest = device.strip_prefix("/dev/")?;
    let b = rest.as_bytes();
    let opt = |i: usize, ok: fn(u8) -> bool| -> Vec<usize> {
        if b.get(i).copied().is_some_and(ok) {
            vec![1, 0]
        } else {
            vec![0]
        }
    };
    for x in opt(0, |c| c == b'x') {
        for a in opt(x, |c| c.is_ascii_lowercase()) {
            for d in opt(x + a, |c| c == b'd') {
                let start = x + a + d;
                let letters = b[start..].iter().take_while(|c| c.is_ascii_lowercase()).count();
                if letters > 0 && b[start + letters..].iter().all(|c| c.is_ascii_digit()) {
                    let prefix = format!("/dev/{}", &rest[..start]);
                    return Some((prefix, rest[start..start + letters].to_string()));
                }
            }
        }
    }
    None
}

/// Nova's `generate_device_letter`: a..z, aa..az, ba...
fn device_letter(index: usize) -> String {
    let mut i = index + 1;
    let mut out = Vec::new();
    while i > 0 {
        i -= 1;
        out.push(b'a' + (i % 26) as u8);
        i /= 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The root disk of every mock server (the fake driver's generic naming: SCSI).
const ROOT_DEVICE: &str = "/dev/sda";

/// Nova's `get_next_device_name`: the root's prefix with the requested letters,
/// or the first letters no disk of the server uses. Err: those are in use.
fn next_device(used: &[&str], requested: Option<&str>) -> Result<String, Resp> {
    let letters = |d: &str| match_device(d).map(|(_, l)| l);
    let (prefix, _) = match_device(ROOT_DEVICE).unwrap_or_default();
    let used: Vec<String> = std::iter::once(ROOT_DEVICE)
        .chain(used.iter().copied())
        .filter_map(letters)
        .collect();
    let letter = match requested {
        Some(d) => letters(d).unwrap_or_default(),
        None => (0..).map(device_letter).find(|l| !used.contains(l)).unwrap_or_default(),
    };
    if used.contains(&letter) {
        return Err(fault(
            409,
            "conflictingRequest",
            &format!(
                "The supplied device path ({}) is in use.",
                requested.unwrap_or_default()
            ),
        ));
    }
    Ok(format!("{prefix}{letter}"))
}

/// Cinder as the caller, once server `sid` is known to exist.
fn cinder_for(sh: &Shared, r: &Req, sid: &str) -> Result<Cinder, Resp> {
    let st = lock(sh);
    if !st.servers.iter().any(|s| s.id == sid) {
        return Err(no_instance(sid));
    }
    Ok(Cinder::new(&st.cinder_url(), r.header("X-Auth-Token").unwrap_or("")))
}

/// Nova's `InvalidInput` from a Cinder 400, as python-cinderclient words it.
fn invalid_input(reply: &Reply) -> String {
    format!(
        "Invalid input received: {} (HTTP 400) (Request-ID: {})",
        reply.message(),
        reply.request_id
    )
}

/// How Nova's API reports a Cinder answer it cannot use (None: no answer).
fn cinder_failure(sh: &Shared, volume_id: &str, reply: Option<Reply>) -> Resp {
    match reply.map(|r| (r.status, r)) {
        Some((401, _)) => keystonemiddleware_401(&lock(sh)),
        Some((404, _)) => not_found(&format!("Volume {volume_id} could not be found.")),
        Some((400, r)) => bad(&invalid_input(&r)),
        _ => fault(
            500,
            "computeFault",
            "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class 'cinderclient.exceptions.ClientException'>",
        ),
    }
}

fn drop_bdm(sh: &Shared, sid: &str, bdm_uuid: &str) {
    if let Some(s) = lock(sh).servers.iter_mut().find(|s| s.id == sid) {
        s.bdms.retain(|b| b.bdm_uuid != bdm_uuid);
    }
}

/// The hypervisor at work (nothing to wait for with a zero transition).
async fn pause(delay: std::time::Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// Runs the compute host's part of an attach or detach now (zero transition:
/// before the API answers) or in the background after the answer.
async fn on_compute(sh: &Shared, job: impl std::future::Future<Output = ()> + Send + 'static) {
    if lock(sh).opts.transition.is_zero() {
        job.await
    } else {
        tokio::spawn(job);
    }
}

/// The API's part: volume known to Cinder, not yet on this server; a BDM (it picks
/// the device); a Cinder attachment reserving the volume. Answers before the
/// compute host completes it.
async fn attach(sh: &Shared, r: &Req, sid: &str, mv: (u32, u32)) -> Resp {
    let body = match attach_body(r, mv) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let cinder = match cinder_for(sh, r, sid) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let vid = body.volume_id;
    let volume = match cinder.call(200, "GET", &format!("/volumes/{vid}"), None, false).await {
        Ok(reply) => reply.body,
        Err(e) => return cinder_failure(sh, &vid, e),
    };
    let multiattach = volume["volume"]["multiattach"].as_bool().unwrap_or(false);
    let bdm = {
        let mut st = lock(sh);
        // `_check_volume_already_attached`: Nova's own BDMs of the volume, on any server.
        let holders: Vec<String> = st
            .servers
            .iter()
            .filter(|s| s.bdms.iter().any(|b| b.volume_id == vid))
            .map(|s| s.id.clone())
            .collect();
        if !holders.is_empty() && !multiattach {
            return bad(&format!(
                "Invalid volume: volume {vid} is already attached to instances: {}",
                holders.join(" ")
            ));
        }
        if holders.iter().any(|h| h == sid) {
            return bad(&format!("Invalid volume: volume {vid} already attached"));
        }
        let Some(server) = st.servers.iter_mut().find(|s| s.id == sid) else {
            return no_instance(sid);
        };
        let used: Vec<&str> = server.bdms.iter().map(|b| b.device.as_str()).collect();
        let device = match next_device(&used, body.device.as_deref()) {
            Ok(d) => d,
            Err(e) => return e,
        };
        let bdm = Bdm {
            volume_id: vid.clone(),
            device,
            attachment_id: String::new(),
            bdm_uuid: uuid4(),
            tag: body.tag,
            delete_on_termination: body.delete_on_termination,
        };
        server.bdms.push(bdm.clone());
        bdm
    };
    let reserve = json!({"attachment": {"volume_uuid": vid, "instance_uuid": sid}});
    let attachment_id = match cinder.call(200, "POST", "/attachments", Some(&reserve), false).await {
        Ok(reply) => reply.body["attachment"]["id"].as_str().unwrap_or_default().to_string(),
        Err(e) => {
            drop_bdm(sh, sid, &bdm.bdm_uuid);
            return cinder_failure(sh, &vid, e);
        }
    };
    let bdm = Bdm { attachment_id, ..bdm };
    if let Some(s) = lock(sh).servers.iter_mut().find(|s| s.id == sid) {
        for b in s.bdms.iter_mut().filter(|b| b.bdm_uuid == bdm.bdm_uuid) {
            b.attachment_id = bdm.attachment_id.clone();
        }
    }
    let out = json!({"volumeAttachment": view(&bdm, sid, mv, true)});
    on_compute(sh, complete_attach(sh.clone(), cinder, sid.to_string(), bdm)).await;
    Resp::json(200, &out)
}

/// What libvirt's `get_volume_connector` gives on the mock compute host, with the
/// mountpoint and mode Nova adds.
fn connector(device: &str) -> Value {
    json!({"platform": "x86_64", "os_type": "linux", "ip": "127.0.0.1", "host": COMPUTE_HOST,
        "multipath": false, "initiator": "iqn.2004-10.com.ubuntu:01:6d3e5a7c2b1f",
        "do_local_attach": false, "mountpoint": device, "mode": "rw"})
}

/// The compute host's part of an attach, each status lasting a transition: the
/// volume `reserved` until the host puts its connector, `attaching` while the
/// hypervisor attaches the disk, then os-complete (`in-use`). When it fails Nova
/// deletes the attachment and forgets the BDM.
async fn complete_attach(sh: Shared, cinder: Cinder, sid: String, bdm: Bdm) {
    let delay = lock(&sh).opts.transition;
    let path = format!("/attachments/{}", bdm.attachment_id);
    let update = json!({"attachment": {"connector": connector(&bdm.device)}});
    pause(delay).await;
    let mut done = cinder.call(200, "PUT", &path, Some(&update), false).await.is_ok();
    if done {
        pause(delay).await;
        let complete = json!({"os-complete": null});
        let action = format!("{path}/action");
        done = cinder.call(204, "POST", &action, Some(&complete), false).await.is_ok();
    }
    if !done {
        let _ = cinder.call(200, "DELETE", &path, None, true).await;
        drop_bdm(&sh, &sid, &bdm.bdm_uuid);
    }
}

/// Nova's answer when Cinder refuses `os-begin_detaching`.
fn begin_failure(sh: &Shared, vid: &str, reply: Option<Reply>) -> Resp {
    match reply {
        Some(r) if r.status == 400 => bad(&format!("Invalid volume: {}", invalid_input(&r))),
        other => cinder_failure(sh, vid, other),
    }
}

/// The API's part: volume known to Cinder and attached here; `os-begin_detaching`
/// (`detaching`). Answers before the compute host lets the volume go.
async fn detach(sh: &Shared, r: &Req, sid: &str, vid: &str) -> Resp {
    let cinder = match cinder_for(sh, r, sid) {
        Ok(c) => c,
        Err(e) => return e,
    };
    if let Err(e) = cinder.call(200, "GET", &format!("/volumes/{vid}"), None, false).await {
        return cinder_failure(sh, vid, e);
    }
    let bdm = {
        let st = lock(sh);
        let server = st.servers.iter().find(|s| s.id == sid);
        server.and_then(|s| s.bdms.iter().find(|b| b.volume_id == vid)).cloned()
    };
    let Some(bdm) = bdm else {
        return not_attached(sid, vid);
    };
    let action = format!("/volumes/{vid}/action");
    let begin = json!({"os-begin_detaching": null});
    if let Err(e) = cinder.call(202, "POST", &action, Some(&begin), false).await {
        return begin_failure(sh, vid, e);
    }
    on_compute(sh, finish_detach(sh.clone(), cinder, sid.to_string(), bdm)).await;
    Resp::empty(202, "application/json")
}

/// The compute host's part of a detach: the hypervisor detaching the disk (the
/// transition), then Nova forgets the BDM and deletes the attachment with its
/// service token (`available`). When that fails the BDM comes back and the volume
/// goes back to in-use.
async fn finish_detach(sh: Shared, cinder: Cinder, sid: String, bdm: Bdm) {
    let delay = lock(&sh).opts.transition;
    pause(delay).await;
    // Forgotten first, so that a volume seen available can be attached again at once.
    drop_bdm(&sh, &sid, &bdm.bdm_uuid);
    let path = format!("/attachments/{}", bdm.attachment_id);
    if cinder.call(200, "DELETE", &path, None, true).await.is_ok() {
        return;
    }
    if let Some(s) = lock(&sh).servers.iter_mut().find(|s| s.id == sid) {
        s.bdms.push(bdm.clone());
    }
    let action = format!("/volumes/{}/action", bdm.volume_id);
    let roll = json!({"os-roll_detaching": null});
    let _ = cinder.call(202, "POST", &action, Some(&roll), false).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_as_nova_makes_them() {
        let m = |d: &str| match_device(d).map(|(p, l)| format!("{p}|{l}"));
        assert_eq!(m("/dev/vdc").as_deref(), Some("/dev/vd|c"));
        assert_eq!(m("/dev/xvdb1").as_deref(), Some("/dev/xvd|b"));
        assert_eq!(m("/dev/sdaa").as_deref(), Some("/dev/sd|aa"));
        assert_eq!(m("/dev/b").as_deref(), Some("/dev/|b"));
        assert_eq!(m("/dev/dd").as_deref(), Some("/dev/d|d"));
        assert_eq!(m("/dev/sd1").as_deref(), Some("/dev/s|d"));
        for bad in ["foo", "/dev/", "/dev/SDB", "dev/sdb", "/dev/sdb1x"] {
            assert_eq!(m(bad), None, "{bad}");
        }
        assert_eq!(
            (0..28).map(device_letter).collect::<Vec<_>>().join(","),
            "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,ab"
        );
        assert_eq!(device_letter(26 * 27), "aaa");
        assert_eq!(next_device(&[], None).ok().as_deref(), Some("/dev/sdb"));
        assert_eq!(next_device(&["/dev/sdb"], None).ok().as_deref(), Some("/dev/sdc"));
        assert_eq!(
            next_device(&["/dev/sdb"], Some("/dev/vdf")).ok().as_deref(),
            Some("/dev/sdf")
        );
        assert_eq!(
            next_device(&["/dev/sdb"], Some("/dev/vdb"))
                .map(|_| ())
                .unwrap_err()
                .status,
            409
        );
        assert_eq!(next_device(&[], Some("/dev/vda")).map(|_| ()).unwrap_err().status, 409);
    }
}
