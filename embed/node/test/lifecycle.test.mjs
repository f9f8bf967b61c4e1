// The volume lifecycle through the jco-transpiled component, against the mock cloud in its
// own process: the same steps as the Rust host's demo (host-test/src/lifecycle.rs).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../lib/mock.mjs';
import { mockConfig, captureStderr, assertNoSecret } from '../lib/harness.mjs';
import { session, volumes, snapshots, backups } from '../gen/block-storage.js';

const WAIT_S = 120;

describe('lifecycle', () => {
  let mock, s, serverId, stderr;
  const created = {};

  before(async () => {
    mock = await startMock(['--server', 'web-1']);
    serverId = mock.info.server_ids[0];
    stderr = captureStderr();
  });

  after(async () => {
    // Best effort: whatever a failed step left behind.
    const tryCall = (f) => {
      try {
        f();
      } catch {}
    };
    if (s) {
      if (created.attachedTo) tryCall(() => volumes.detach(s, created.volume, created.attachedTo));
      if (created.restored) tryCall(() => volumes.delete(s, created.restored, false, false));
      if (created.backup) tryCall(() => backups.delete(s, created.backup, false));
      if (created.snapshot) tryCall(() => snapshots.delete(s, created.snapshot, false));
      if (created.volume) tryCall(() => volumes.delete(s, created.volume, false, false));
      s[Symbol.dispose]();
    }
    stderr?.restore();
    await mock?.stop();
  });

  it('connects with an application credential', () => {
    s = session.connect(mockConfig(mock.info, { region: 'dc3-a' }));
    assert.equal(s.constructor.name, 'Session');
    assert.equal(s.projectId(), mock.info.project_id);
    assert.equal(s.blockStorageUrl(), mock.info.block_storage_url);
    assert.match(s.microversion(), /^3\.\d+$/);
  });

  it('creates a volume and waits until it is available', () => {
    const v = volumes.create(s, {
      size: 1,
      name: 'node-volume',
      description: 'created from Node.js',
      metadata: [['purpose', 'embed'], ['host', 'node']],
    });
    created.volume = v.id;
    assert.equal(v.status, 'creating');
    assert.equal(v.size, 1);
    assert.equal(v.snapshotId, undefined); // option<string> none -> undefined
    assert.deepEqual(v.metadata, [['host', 'node'], ['purpose', 'embed']]); // sorted by key
    const w = volumes.waitFor(s, v.id, 'available', WAIT_S);
    assert.equal(w.status, 'available');
    assert.equal(w.bootable, false);
    assert.deepEqual(w.attachments, []);
    assert.equal(volumes.get(s, v.id).name, 'node-volume');
  });

  it('extends the volume to 2 GiB', () => {
    assert.equal(volumes.extend(s, created.volume, 2), undefined); // result<_, error>: undefined
    const w = volumes.waitFor(s, created.volume, 'available', WAIT_S);
    assert.equal(w.size, 2);
  });

  it('snapshots the volume', () => {
    const sn = snapshots.create(s, { volumeId: created.volume, name: 'node-snapshot', force: false, metadata: [] });
    created.snapshot = sn.id;
    assert.equal(sn.volumeId, created.volume);
    assert.equal(snapshots.waitFor(s, sn.id, 'available', WAIT_S).status, 'available');
    assert.ok(snapshots.list(s, { status: 'available', metadata: [] }).some((x) => x.id === sn.id));
  });

  it('backs the volume up', () => {
    const b = backups.create(s, {
      volumeId: created.volume,
      name: 'node-backup',
      incremental: false,
      force: false,
      metadata: [],
    });
    created.backup = b.id;
    assert.equal(b.name, 'node-backup');
    assert.equal(b.isIncremental, false);
    assert.equal(backups.waitFor(s, b.id, 'available', WAIT_S).status, 'available');
    assert.equal(volumes.waitFor(s, created.volume, 'available', WAIT_S).status, 'available');
  });

  it('restores the backup to a new volume', () => {
    const r = backups.restore(s, created.backup, undefined, 'node-restored');
    created.restored = r.volumeId;
    assert.equal(r.backupId, created.backup);
    assert.notEqual(r.volumeId, created.volume);
    assert.equal(r.volumeName, 'node-restored');
    const v = volumes.waitFor(s, r.volumeId, 'available', WAIT_S);
    assert.equal(v.size, 2);
    assert.equal(backups.waitFor(s, created.backup, 'available', WAIT_S).status, 'available');
  });

  it("attaches the volume to the mock's server", () => {
    const a = volumes.attach(s, created.volume, serverId, undefined);
    created.attachedTo = serverId;
    assert.equal(a.serverId, serverId);
    assert.equal(a.attachmentId, undefined); // Nova's answer has no attachment id
    assert.match(a.device ?? '', /^\/dev\//);
    const v = volumes.waitFor(s, created.volume, 'in-use', WAIT_S);
    assert.equal(v.attachments.length, 1);
    assert.equal(v.attachments[0].serverId, serverId);
    assert.ok(v.attachments[0].attachmentId);
  });

  it('detaches the volume', () => {
    volumes.detach(s, created.volume, serverId);
    created.attachedTo = undefined;
    assert.deepEqual(volumes.waitFor(s, created.volume, 'available', WAIT_S).attachments, []);
  });

  it('deletes everything and waits until it is gone', () => {
    volumes.delete(s, created.restored, false, false);
    assert.equal(volumes.waitFor(s, created.restored, 'deleted', WAIT_S), undefined);
    created.restored = undefined;
    backups.delete(s, created.backup, false);
    assert.equal(backups.waitFor(s, created.backup, 'deleted', WAIT_S), undefined);
    created.backup = undefined;
    snapshots.delete(s, created.snapshot, false);
    assert.equal(snapshots.waitFor(s, created.snapshot, 'deleted', WAIT_S), undefined);
    created.snapshot = undefined;
    volumes.delete(s, created.volume, false, false);
    assert.equal(volumes.waitFor(s, created.volume, 'deleted', WAIT_S), undefined);
    created.volume = undefined;
  });

  it('leaves nothing behind on the mock', () => {
    assert.deepEqual(volumes.list(s, { metadata: [] }), []);
    assert.deepEqual(snapshots.list(s, { metadata: [] }), []);
    assert.deepEqual(backups.list(s, { metadata: [] }), []);
  });

  it('wrote nothing to stderr (successful calls are silent)', async () => {
    await stderr.settle();
    assertNoSecret(stderr.text(), mock.info.app_cred_secret, 'stderr');
    assert.ok(!stderr.text().includes('infomaniak-block-storage:'), 'the component logged a failure');
  });
});
