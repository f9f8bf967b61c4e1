// Contract 0.2 through jco, against a mock cloud of its own (so the quota counters are this
// file's): updates, metadata, the project's limits and what it may use, bounded lists. The
// tests are steps of one scenario and run in file order.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../lib/mock.mjs';
import { mockConfig, expectError, captureStderr } from '../lib/harness.mjs';
import { connect } from 'infomaniak-block-storage';

const WAIT_S = 120;
const none = { metadata: [] }; // list-options with no filter, order nor limit

describe('contract 0.2', () => {
  let mock, s, stderr;
  const made = { volumes: [] }; // what this file created, for the limits and the clean-up

  before(async () => {
    mock = await startMock();
    stderr = captureStderr();
    s = connect(mockConfig(mock.info));
  });

  after(async () => {
    const tryCall = (f) => {
      try {
        f();
      } catch {}
    };
    if (s) {
      if (made.backup) tryCall(() => s.backups.delete(made.backup));
      if (made.snapshot) tryCall(() => s.snapshots.delete(made.snapshot));
      for (const id of made.volumes) tryCall(() => s.volumes.delete(id));
      s[Symbol.dispose]();
    }
    stderr?.restore();
    await mock?.stop();
  });

  it('update renames a volume and the new name comes back', () => {
    const v = s.volumes.create({ size: 1, name: 'node-before', metadata: [['purpose', 'embed']] });
    made.volumes.push(v.id);
    s.volumes.waitFor(v.id, 'available', WAIT_S);
    const u = s.volumes.update(v.id, { name: 'node-after', description: 'renamed from Node.js' });
    assert.equal(u.id, v.id);
    assert.equal(u.name, 'node-after');
    assert.equal(u.description, 'renamed from Node.js');
    // A none field is left as it is; an empty description clears it.
    assert.equal(s.volumes.update(v.id, { description: '' }).name, 'node-after');
    const got = s.volumes.get(v.id);
    assert.equal(got.name, 'node-after');
    assert.ok(!got.description, `description not cleared: ${got.description}`);
  });

  it('set-metadata answers the whole metadata sorted by key; unset-metadata removes keys', () => {
    const id = made.volumes[0];
    const all = s.volumes.setMetadata(id, [['tier', 'gold'], ['app', 'db']]);
    assert.deepEqual(all, [['app', 'db'], ['purpose', 'embed'], ['tier', 'gold']]);
    assert.deepEqual(s.volumes.setMetadata(id, [['tier', 'silver']]), [['app', 'db'], ['purpose', 'embed'], ['tier', 'silver']]);
    assert.equal(s.volumes.unsetMetadata(id, ['app', 'absent']), undefined); // an absent key is no error
    assert.deepEqual(s.volumes.get(id).metadata, [['purpose', 'embed'], ['tier', 'silver']]);
  });

  it('snapshots: update and metadata', () => {
    const sn = s.snapshots.create({ volumeId: made.volumes[0], name: 'node-snap', force: false, metadata: [] });
    made.snapshot = sn.id;
    s.snapshots.waitFor(sn.id, 'available', WAIT_S);
    assert.equal(s.snapshots.update(sn.id, { name: 'node-snap-2' }).name, 'node-snap-2');
    assert.deepEqual(s.snapshots.setMetadata(sn.id, [['b', '2'], ['a', '1']]), [['a', '1'], ['b', '2']]);
    s.snapshots.unsetMetadata(sn.id, ['a']);
    const got = s.snapshots.get(sn.id);
    assert.equal(got.name, 'node-snap-2');
    assert.deepEqual(got.metadata, [['b', '2']]);
  });

  it('backups: metadata and zone at creation, update and metadata afterwards', () => {
    const b = s.backups.create({
      volumeId: made.volumes[0],
      name: 'node-backup',
      incremental: false,
      force: false,
      metadata: [['origin', 'node']],
      availabilityZone: 'nova',
    });
    made.backup = b.id;
    assert.equal(s.backups.waitFor(b.id, 'available', WAIT_S).availabilityZone, 'nova');
    const u = s.backups.update(b.id, { name: 'node-backup-2', description: 'nightly' });
    assert.equal(u.id, b.id);
    assert.equal(u.name, 'node-backup-2');
    assert.equal(u.description, 'nightly');
    assert.deepEqual(s.backups.setMetadata(b.id, [['keep', 'yes']]), [['keep', 'yes'], ['origin', 'node']]);
    s.backups.unsetMetadata(b.id, ['origin', 'absent']);
    assert.deepEqual(s.backups.setMetadata(b.id, []), [['keep', 'yes']]);
    assert.equal(s.backups.get(b.id).name, 'node-backup-2');
    s.volumes.waitFor(made.volumes[0], 'available', WAIT_S);
  });

  it("limits' used counters are what this file created", () => {
    for (const n of [1, 2, 3]) {
      const v = s.volumes.create({ size: n, name: `node-list-${n}`, metadata: n === 2 ? [['pick', 'me']] : [] });
      made.volumes.push(v.id);
    }
    s.volumes.waitFor(made.volumes.at(-1), 'available', WAIT_S);
    const l = s.project.limits();
    // The WIT's u64 fields come as numbers; a none maximum (undefined) is unlimited.
    assert.equal(l.volumesUsed, 4);
    assert.equal(l.snapshotsUsed, 1);
    assert.equal(l.backupsUsed, 1);
    assert.equal(l.gigabytesUsed, 1 + 1 + 2 + 3 + 1); // the volumes, then the 1 GiB snapshot
    assert.equal(l.backupGigabytesUsed, 1);
    assert.equal(l.maxVolumes, 10); // the mock's default quotas
    assert.equal(l.maxGigabytes, 1000);
    assert.equal(l.maxBackups, 10);
  });

  it('a list with limit 2 gives 2 items, newest first, and goes on from a marker', () => {
    const newest = [...made.volumes].reverse(); // node-list-3, -2, -1, node-after
    const first = s.volumes.list({ limit: 2, sort: 'created_at:desc', metadata: [] });
    assert.equal(first.length, 2);
    assert.deepEqual(first.map((v) => v.id), newest.slice(0, 2));
    assert.deepEqual(first.map((v) => v.name), ['node-list-3', 'node-list-2']);
    const next = s.volumes.list({ limit: 2, marker: first[1].id, sort: 'created_at:desc', metadata: [] });
    assert.deepEqual(next.map((v) => v.id), newest.slice(2, 4));
    // page-size above the limit: still only the limit.
    assert.equal(s.volumes.list({ limit: 1, pageSize: 50, metadata: [] }).length, 1);
    assert.equal(s.volumes.list(none).length, 4);
    assert.deepEqual(s.volumes.list({ sort: 'size:asc,created_at:asc', metadata: [] }).map((v) => v.size), [1, 1, 2, 3]);
  });

  it('lists filter by metadata and by volume', () => {
    assert.deepEqual(s.volumes.list({ metadata: [['pick', 'me']] }).map((v) => v.name), ['node-list-2']);
    assert.deepEqual(s.snapshots.list({ volumeId: made.volumes[0], metadata: [] }).map((x) => x.id), [made.snapshot]);
    assert.deepEqual(s.backups.list({ volumeId: made.volumes[1], metadata: [] }), []);
    assert.equal(s.backups.list({ limit: 1, volumeId: made.volumes[0], metadata: [] })[0].id, made.backup);
  });

  it('what the project may use: volume types, zones, messages', () => {
    const types = s.project.volumeTypes();
    assert.ok(types.length > 0);
    const dflt = s.project.defaultVolumeType();
    assert.ok(types.some((t) => t.id === dflt.id && t.name === dflt.name));
    assert.deepEqual(s.project.availabilityZones(), [{ name: 'nova', available: true }]);
    assert.deepEqual(s.project.messages(made.volumes[0]), []); // nothing failed
  });

  it('the new parameters are refused as invalid-input naming the field, and logged', async () => {
    await stderr.settle();
    assert.ok(!stderr.text().includes('infomaniak-block-storage:'), 'a successful call logged a failure');
    const [id, snap, backup] = [made.volumes[0], made.snapshot, made.backup];
    const refused = (f) => expectError(f, 'invalid-input').message;
    assert.match(refused(() => s.volumes.update(id, { name: 'x'.repeat(256) })), /^name: /);
    assert.match(refused(() => s.backups.update(backup, {})), /^changes: /);
    assert.match(refused(() => s.snapshots.setMetadata(snap, [['', 'v']])), /^items: /);
    assert.match(refused(() => s.volumes.setMetadata(id, [['k', 'v'.repeat(256)]])), /^items: /);
    assert.match(refused(() => s.backups.unsetMetadata(backup, [''])), /^keys: /);
    assert.match(refused(() => s.volumes.list({ limit: 0, metadata: [] })), /^limit: /);
    assert.match(refused(() => s.volumes.list({ sort: 'id:up', metadata: [] })), /^sort: /);
    assert.match(refused(() => s.snapshots.list({ marker: '../x', metadata: [] })), /^marker: /);
    assert.match(refused(() => s.backups.list({ metadata: [['', 'v']] })), /^metadata: /);
    assert.match(refused(() => s.volumes.list({ volumeId: id, metadata: [] })), /^volume-id: /);
    assert.match(refused(() => s.project.messages('a/b')), /^resource-id: /);
    const line = `infomaniak-block-storage: volumes.update ${id} failed: invalid-input: name: `;
    assert.ok(await stderr.waitFor(line), 'no log line for the refused update');
  });
});
