// The volume lifecycle through the installed package, against the mock cloud in its
// own process: the same steps as the Rust host's demo (host-test/src/lifecycle.rs).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../lib/mock.mjs';
import { mockConfig, captureStderr, assertNoSecret } from '../lib/harness.mjs';
import { connect } from 'infomaniak-block-storage';

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
      if (created.attachedTo) tryCall(() => s.volumes.detach(created.volume, created.attachedTo));
      if (created.restored) tryCall(() => s.volumes.delete(created.restored));
      if (created.backup) tryCall(() => s.backups.delete(created.backup));
      if (created.snapshot) tryCall(() => s.snapshots.delete(created.snapshot));
      if (created.volume) tryCall(() => s.volumes.delete(created.volume));
      s[Symbol.dispose]();
    }
    stderr?.restore();
    await mock?.stop();
  });

  it('connects with an application credential', () => {
    s = connect(mockConfig(mock.info, { region: 'dc3-a' }));
    assert.equal(s.constructor.name, 'Session');
    assert.equal(s.projectId(), mock.info.project_id);
    assert.equal(s.blockStorageUrl(), mock.info.block_storage_url);
    assert.match(s.microversion(), /^3\.\d+$/);
  });

  it('creates a volume and waits until it is available', () => {
    const v = s.volumes.create({
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
    const w = s.volumes.waitFor(v.id, 'available', WAIT_S);
    assert.equal(w.status, 'available');
    assert.equal(w.bootable, false);
    assert.deepEqual(w.attachments, []);
    assert.equal(s.volumes.get(v.id).name, 'node-volume');
  });

  it('extends the volume to 2 GiB', () => {
    assert.equal(s.volumes.extend(created.volume, 2), undefined); // result<_, error>: undefined
    const w = s.volumes.waitFor(created.volume, 'available', WAIT_S);
    assert.equal(w.size, 2);
  });

  it('snapshots the volume', () => {
    const sn = s.snapshots.create({ volumeId: created.volume, name: 'node-snapshot', force: false, metadata: [] });
    created.snapshot = sn.id;
    assert.equal(sn.volumeId, created.volume);
    assert.equal(s.snapshots.waitFor(sn.id, 'available', WAIT_S).status, 'available');
    assert.ok(s.snapshots.list({ status: 'available', metadata: [] }).some((x) => x.id === sn.id));
  });

  it('backs the volume up', () => {
    const b = s.backups.create({
      volumeId: created.volume,
      name: 'node-backup',
      incremental: false,
      force: false,
      metadata: [],
    });
    created.backup = b.id;
    assert.equal(b.name, 'node-backup');
    assert.equal(b.isIncremental, false);
    assert.equal(s.backups.waitFor(b.id, 'available', WAIT_S).status, 'available');
    assert.equal(s.volumes.waitFor(created.volume, 'available', WAIT_S).status, 'available');
  });

  it('restores the backup to a new volume', () => {
    const r = s.backups.restore(created.backup, { name: 'node-restored' });
    created.restored = r.volumeId;
    assert.equal(r.backupId, created.backup);
    assert.notEqual(r.volumeId, created.volume);
    assert.equal(r.volumeName, 'node-restored');
    const v = s.volumes.waitFor(r.volumeId, 'available', WAIT_S);
    assert.equal(v.size, 2);
    assert.equal(s.backups.waitFor(created.backup, 'available', WAIT_S).status, 'available');
  });

  it("attaches the volume to the mock's server", () => {
    const a = s.volumes.attach(created.volume, serverId);
    created.attachedTo = serverId;
    assert.equal(a.serverId, serverId);
    assert.equal(a.attachmentId, undefined); // Nova's answer has no attachment id
    assert.match(a.device ?? '', /^\/dev\//);
    const v = s.volumes.waitFor(created.volume, 'in-use', WAIT_S);
    assert.equal(v.attachments.length, 1);
    assert.equal(v.attachments[0].serverId, serverId);
    assert.ok(v.attachments[0].attachmentId);
  });

  it('detaches the volume', () => {
    s.volumes.detach(created.volume, serverId);
    created.attachedTo = undefined;
    assert.deepEqual(s.volumes.waitFor(created.volume, 'available', WAIT_S).attachments, []);
  });

  it('deletes everything and waits until it is gone', () => {
    s.volumes.delete(created.restored);
    assert.equal(s.volumes.waitFor(created.restored, 'deleted', WAIT_S), undefined);
    created.restored = undefined;
    s.backups.delete(created.backup);
    assert.equal(s.backups.waitFor(created.backup, 'deleted', WAIT_S), undefined);
    created.backup = undefined;
    s.snapshots.delete(created.snapshot);
    assert.equal(s.snapshots.waitFor(created.snapshot, 'deleted', WAIT_S), undefined);
    created.snapshot = undefined;
    s.volumes.delete(created.volume);
    assert.equal(s.volumes.waitFor(created.volume, 'deleted', WAIT_S), undefined);
    created.volume = undefined;
  });

  it('leaves nothing behind on the mock', () => {
    assert.deepEqual(s.volumes.list({ metadata: [] }), []);
    assert.deepEqual(s.snapshots.list({ metadata: [] }), []);
    assert.deepEqual(s.backups.list({ metadata: [] }), []);
  });

  it('wrote nothing to stderr (successful calls are silent)', async () => {
    await stderr.settle();
    assertNoSecret(stderr.text(), mock.info.app_cred_secret, 'stderr');
    assert.ok(!stderr.text().includes('infomaniak-block-storage:'), 'the component logged a failure');
  });
});
