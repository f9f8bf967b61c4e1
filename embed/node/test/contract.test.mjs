// Contract 0.2 through jco, against a mock cloud of its own (so the quota counters are this
// file's): updates, metadata, the project's limits and what it may use, bounded lists. The
// tests are steps of one scenario and run in file order.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../lib/mock.mjs';
import { mockConfig, expectError, captureStderr } from '../lib/harness.mjs';
import { session, volumes, snapshots, backups, project } from '../gen/block-storage.js';

const WAIT_S = 120;
const none = { metadata: [] }; // list-options with no filter, order nor limit

describe('contract 0.2', () => {
  let mock, s, stderr;
  const made = { volumes: [] }; // what this file created, for the limits and the clean-up

  before(async () => {
    mock = await startMock();
    stderr = captureStderr();
    s = session.connect(mockConfig(mock.info));
  });

  after(async () => {
    const tryCall = (f) => {
      try {
        f();
      } catch {}
    };
    if (s) {
      if (made.backup) tryCall(() => backups.delete(s, made.backup, false));
      if (made.snapshot) tryCall(() => snapshots.delete(s, made.snapshot, false));
      for (const id of made.volumes) tryCall(() => volumes.delete(s, id, false, false));
      s[Symbol.dispose]();
    }
    stderr?.restore();
    await mock?.stop();
  });

  it('update renames a volume and the new name comes back', () => {
    const v = volumes.create(s, { size: 1, name: 'node-before', metadata: [['purpose', 'embed']] });
    made.volumes.push(v.id);
    volumes.waitFor(s, v.id, 'available', WAIT_S);
    const u = volumes.update(s, v.id, { name: 'node-after', description: 'renamed from Node.js' });
    assert.equal(u.id, v.id);
    assert.equal(u.name, 'node-after');
    assert.equal(u.description, 'renamed from Node.js');
    // A none field is left as it is; an empty description clears it.
    assert.equal(volumes.update(s, v.id, { description: '' }).name, 'node-after');
    const got = volumes.get(s, v.id);
    assert.equal(got.name, 'node-after');
    assert.ok(!got.description, `description not cleared: ${got.description}`);
  });

  it('set-metadata answers the whole metadata sorted by key; unset-metadata removes keys', () => {
    const id = made.volumes[0];
    const all = volumes.setMetadata(s, id, [['tier', 'gold'], ['app', 'db']]);
    assert.deepEqual(all, [['app', 'db'], ['purpose', 'embed'], ['tier', 'gold']]);
    assert.deepEqual(volumes.setMetadata(s, id, [['tier', 'silver']]), [['app', 'db'], ['purpose', 'embed'], ['tier', 'silver']]);
    assert.equal(volumes.unsetMetadata(s, id, ['app', 'absent']), undefined); // an absent key is no error
    assert.deepEqual(volumes.get(s, id).metadata, [['purpose', 'embed'], ['tier', 'silver']]);
  });

  it('snapshots: update and metadata', () => {
    const sn = snapshots.create(s, { volumeId: made.volumes[0], name: 'node-snap', force: false, metadata: [] });
    made.snapshot = sn.id;
    snapshots.waitFor(s, sn.id, 'available', WAIT_S);
    assert.equal(snapshots.update(s, sn.id, { name: 'node-snap-2' }).name, 'node-snap-2');
    assert.deepEqual(snapshots.setMetadata(s, sn.id, [['b', '2'], ['a', '1']]), [['a', '1'], ['b', '2']]);
    snapshots.unsetMetadata(s, sn.id, ['a']);
    const got = snapshots.get(s, sn.id);
    assert.equal(got.name, 'node-snap-2');
    assert.deepEqual(got.metadata, [['b', '2']]);
  });

  it('backups: metadata and zone at creation, update and metadata afterwards', () => {
    const b = backups.create(s, {
      volumeId: made.volumes[0],
      name: 'node-backup',
      incremental: false,
      force: false,
      metadata: [['origin', 'node']],
      availabilityZone: 'nova',
    });
    made.backup = b.id;
    assert.equal(backups.waitFor(s, b.id, 'available', WAIT_S).availabilityZone, 'nova');
    const u = backups.update(s, b.id, { name: 'node-backup-2', description: 'nightly' });
    assert.equal(u.id, b.id);
    assert.equal(u.name, 'node-backup-2');
    assert.equal(u.description, 'nightly');
    assert.deepEqual(backups.setMetadata(s, b.id, [['keep', 'yes']]), [['keep', 'yes'], ['origin', 'node']]);
    backups.unsetMetadata(s, b.id, ['origin', 'absent']);
    assert.deepEqual(backups.setMetadata(s, b.id, []), [['keep', 'yes']]);
    assert.equal(backups.get(s, b.id).name, 'node-backup-2');
    volumes.waitFor(s, made.volumes[0], 'available', WAIT_S);
  });

  it("limits' used counters are what this file created", () => {
    for (const n of [1, 2, 3]) {
      const v = volumes.create(s, { size: n, name: `node-list-${n}`, metadata: n === 2 ? [['pick', 'me']] : [] });
      made.volumes.push(v.id);
    }
    volumes.waitFor(s, made.volumes.at(-1), 'available', WAIT_S);
    const l = project.limits(s);
    // u64 fields are BigInts; a none maximum (undefined) is unlimited.
    assert.equal(l.volumesUsed, 4n);
    assert.equal(l.snapshotsUsed, 1n);
    assert.equal(l.backupsUsed, 1n);
    assert.equal(l.gigabytesUsed, 1n + 1n + 2n + 3n + 1n); // the volumes, then the 1 GiB snapshot
    assert.equal(l.backupGigabytesUsed, 1n);
    assert.equal(l.maxVolumes, 10n); // the mock's default quotas
    assert.equal(l.maxGigabytes, 1000n);
  });

  it('a list with limit 2 gives 2 items, newest first, and goes on from a marker', () => {
    const newest = [...made.volumes].reverse(); // node-list-3, -2, -1, node-after
    const first = volumes.list(s, { limit: 2, sort: 'created_at:desc', metadata: [] });
    assert.equal(first.length, 2);
    assert.deepEqual(first.map((v) => v.id), newest.slice(0, 2));
    assert.deepEqual(first.map((v) => v.name), ['node-list-3', 'node-list-2']);
    const next = volumes.list(s, { limit: 2, marker: first[1].id, sort: 'created_at:desc', metadata: [] });
    assert.deepEqual(next.map((v) => v.id), newest.slice(2, 4));
    // page-size above the limit: still only the limit.
    assert.equal(volumes.list(s, { limit: 1, pageSize: 50, metadata: [] }).length, 1);
    assert.equal(volumes.list(s, none).length, 4);
    assert.deepEqual(volumes.list(s, { sort: 'size:asc,created_at:asc', metadata: [] }).map((v) => v.size), [1, 1, 2, 3]);
  });

  it('lists filter by metadata and by volume', () => {
    assert.deepEqual(volumes.list(s, { metadata: [['pick', 'me']] }).map((v) => v.name), ['node-list-2']);
    assert.deepEqual(snapshots.list(s, { volumeId: made.volumes[0], metadata: [] }).map((x) => x.id), [made.snapshot]);
    assert.deepEqual(backups.list(s, { volumeId: made.volumes[1], metadata: [] }), []);
    assert.equal(backups.list(s, { limit: 1, volumeId: made.volumes[0], metadata: [] })[0].id, made.backup);
  });

  it('what the project may use: volume types, zones, messages', () => {
    const types = project.volumeTypes(s);
    assert.ok(types.length > 0);
    const dflt = project.defaultVolumeType(s);
    assert.ok(types.some((t) => t.id === dflt.id && t.name === dflt.name));
    assert.deepEqual(project.availabilityZones(s), [{ name: 'nova', available: true }]);
    assert.deepEqual(project.messages(s, made.volumes[0]), []); // nothing failed
  });

  it('the new parameters are refused as invalid-input naming the field, and logged', async () => {
    await stderr.settle();
    assert.ok(!stderr.text().includes('infomaniak-block-storage:'), 'a successful call logged a failure');
    const [id, snap, backup] = [made.volumes[0], made.snapshot, made.backup];
    const refused = (f) => expectError(f, 'invalid-input');
    assert.match(refused(() => volumes.update(s, id, { name: 'x'.repeat(256) })), /^name: /);
    assert.match(refused(() => backups.update(s, backup, {})), /^changes: /);
    assert.match(refused(() => snapshots.setMetadata(s, snap, [['', 'v']])), /^items: /);
    assert.match(refused(() => volumes.setMetadata(s, id, [['k', 'v'.repeat(256)]])), /^items: /);
    assert.match(refused(() => backups.unsetMetadata(s, backup, [''])), /^keys: /);
    assert.match(refused(() => volumes.list(s, { limit: 0, metadata: [] })), /^limit: /);
    assert.match(refused(() => volumes.list(s, { sort: 'id:up', metadata: [] })), /^sort: /);
    assert.match(refused(() => snapshots.list(s, { marker: '../x', metadata: [] })), /^marker: /);
    assert.match(refused(() => backups.list(s, { metadata: [['', 'v']] })), /^metadata: /);
    assert.match(refused(() => volumes.list(s, { volumeId: id, metadata: [] })), /^volume-id: /);
    assert.match(refused(() => project.messages(s, 'a/b')), /^resource-id: /);
    const line = `infomaniak-block-storage: volumes.update ${id} failed: invalid-input: name: `;
    assert.ok(await stderr.waitFor(line), 'no log line for the refused update');
  });
});
