// Contract 0.2, part 2, through jco, against a mock cloud of its own: delete with cascade,
// idempotent creates, set-bootable / set-read-only, and volume transfers. The tests are
// steps of one scenario and run in file order.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../lib/mock.mjs';
import { mockConfig, expectError, captureStderr, assertNoSecret } from '../lib/harness.mjs';
import { session, volumes, snapshots, transfers } from '../gen/block-storage.js';

const WAIT_S = 120;
const none = { metadata: [] }; // list-options with no filter, order nor limit
const KEY_ITEM = 'block-storage.idempotency-key'; // where the component keeps the key

describe('contract 0.2: cascade delete, idempotent creates, actions, transfers', () => {
  let mock, s, stderr;
  const made = { volumes: [], authKeys: [] };

  before(async () => {
    mock = await startMock();
    stderr = captureStderr();
    s = session.connect(mockConfig(mock.info));
  });

  after(async () => {
    if (s) {
      for (const id of made.volumes) {
        try {
          volumes.delete(s, id, false, true);
        } catch {}
      }
      s[Symbol.dispose]();
    }
    stderr?.restore();
    await mock?.stop();
  });

  it('delete: refused with bad-request while the volume has a snapshot; cascade deletes both', async () => {
    const v = volumes.create(s, { size: 1, name: 'node-cascade', metadata: [] });
    made.volumes.push(v.id);
    volumes.waitFor(s, v.id, 'available', WAIT_S);
    const sn = snapshots.create(s, { volumeId: v.id, name: 'node-cascade-snap', force: false, metadata: [] });
    snapshots.waitFor(s, sn.id, 'available', WAIT_S);

    const e = expectError(() => volumes.delete(s, v.id, false, false), 'bad-request');
    assert.equal(e.status, 400);
    assert.match(e.message, /have snapshots/);
    assert.equal(volumes.get(s, v.id).status, 'available'); // nothing was deleted
    const line = `infomaniak-block-storage: volumes.delete ${v.id} failed: bad-request status=400`;
    assert.ok(await stderr.waitFor(line), 'no log line for the refused delete');

    assert.equal(volumes.delete(s, v.id, false, true), undefined);
    // The mock is asynchronous: both are `deleting` for a while, the snapshot goes first.
    assert.equal(snapshots.waitFor(s, sn.id, 'deleted', WAIT_S), undefined);
    assert.equal(volumes.waitFor(s, v.id, 'deleted', WAIT_S), undefined);
    made.volumes = made.volumes.filter((id) => id !== v.id);
    assert.deepEqual(snapshots.list(s, none), []);
    assert.deepEqual(volumes.list(s, none), []);
  });

  it('idempotent volume create: the same key gives the same volume; with another size it is conflict', () => {
    const key = 'node-idem-volume-1';
    const spec = { size: 1, name: 'node-idem', metadata: [['purpose', 'embed']], idempotencyKey: key };
    const a = volumes.create(s, spec);
    made.volumes.push(a.id);
    const b = volumes.create(s, spec); // while the first is still creating, or after
    assert.equal(b.id, a.id);
    assert.equal(volumes.waitFor(s, a.id, 'available', WAIT_S).id, a.id);
    assert.equal(volumes.create(s, spec).id, a.id); // and once it is available
    assert.deepEqual(volumes.list(s, none).map((v) => v.id), [a.id]); // the mock holds one volume
    const md = volumes.get(s, a.id).metadata;
    assert.ok(md.some(([k, v]) => k === KEY_ITEM && v === key), `no ${KEY_ITEM} in ${JSON.stringify(md)}`);
    assert.ok(md.some(([k, v]) => k === 'purpose' && v === 'embed'));

    const c = expectError(() => volumes.create(s, { ...spec, size: 2 }), 'conflict');
    assert.equal(c.status, 409);
    assert.match(c.message, /^idempotency-key: /);
    assert.ok(c.message.includes(a.id), c.message);
    assert.deepEqual(volumes.list(s, none).map((v) => v.id), [a.id]); // still one

    assert.equal(volumes.get(s, a.id).size, 1); // the refused create changed nothing
    // The key is checked like a metadata value before any request.
    assert.match(expectError(() => volumes.create(s, { ...spec, idempotencyKey: '' }), 'invalid-input'), /^idempotency-key: /);
  });

  it('idempotent snapshot create: the same key gives the same snapshot', () => {
    const [vid] = made.volumes;
    const spec = { volumeId: vid, name: 'node-idem-snap', force: false, metadata: [], idempotencyKey: 'node-idem-snap-1' };
    const a = snapshots.create(s, spec);
    assert.equal(snapshots.create(s, spec).id, a.id);
    snapshots.waitFor(s, a.id, 'available', WAIT_S);
    assert.deepEqual(snapshots.list(s, none).map((x) => x.id), [a.id]);
    snapshots.delete(s, a.id, false);
    assert.equal(snapshots.waitFor(s, a.id, 'deleted', WAIT_S), undefined);
  });

  it('set-bootable and set-read-only show in the volume', () => {
    const [id] = made.volumes;
    let v = volumes.get(s, id);
    assert.equal(v.bootable, false);
    assert.equal(v.readOnly, false);
    assert.equal(volumes.setBootable(s, id, true), undefined);
    assert.equal(volumes.setReadOnly(s, id, true), undefined);
    v = volumes.get(s, id);
    assert.equal(v.bootable, true);
    assert.equal(v.readOnly, true);
    volumes.setBootable(s, id, false);
    volumes.setReadOnly(s, id, false);
    v = volumes.get(s, id);
    assert.equal(v.bootable, false);
    assert.equal(v.readOnly, false);
  });

  it('a transfer: create, get, list, a wrong key is bad-request, delete makes the volume available again', () => {
    const [id] = made.volumes;
    const created = transfers.create(s, id, 'node-transfer');
    made.authKeys.push(created.authKey);
    const t = created.transfer;
    assert.equal(t.volumeId, id);
    assert.equal(t.name, 'node-transfer');
    assert.ok(t.id && t.createdAt, JSON.stringify(t));
    assert.equal(typeof created.authKey, 'string');
    assert.ok(created.authKey.length > 0);
    assert.equal(volumes.get(s, id).status, 'awaiting-transfer');

    const got = transfers.get(s, t.id);
    assert.deepEqual([got.id, got.name, got.volumeId], [t.id, t.name, t.volumeId]);
    assert.deepEqual(transfers.list(s).map((x) => x.id), [t.id]);

    const wrong = 'node-wrong-auth-key-0000';
    const e = expectError(() => transfers.accept(s, t.id, wrong), 'bad-request');
    assert.match(e.message, /Invalid auth key/);
    assertNoSecret(JSON.stringify(e), created.authKey, 'the accept error');

    assert.equal(transfers.delete(s, t.id), undefined);
    assert.equal(volumes.get(s, id).status, 'available');
    assert.deepEqual(transfers.list(s), []);
    expectError(() => transfers.get(s, t.id), 'not-found');
  });

  it('a transfer accepted with its key (here by the same project) is gone, the volume available', () => {
    const [id] = made.volumes;
    const created = transfers.create(s, id, undefined); // a none name
    made.authKeys.push(created.authKey);
    assert.equal(created.transfer.name, undefined);
    const accepted = transfers.accept(s, created.transfer.id, created.authKey);
    assert.equal(accepted.id, created.transfer.id);
    assert.equal(accepted.volumeId, id);
    assert.equal(accepted.createdAt, ''); // Cinder's accept answer has no created_at
    assert.equal(volumes.get(s, id).status, 'available');
    expectError(() => transfers.get(s, created.transfer.id), 'not-found');
  });

  it('the auth keys never reach stderr', async () => {
    await stderr.settle();
    assert.equal(made.authKeys.length, 2);
    for (const k of made.authKeys) assertNoSecret(stderr.text(), k, 'stderr');
    assertNoSecret(stderr.text(), mock.info.app_cred_secret, 'stderr');
    // The failures above were logged, the successes not.
    assert.ok(stderr.text().includes('infomaniak-block-storage: transfers.accept '));
    assert.ok(stderr.text().includes('infomaniak-block-storage: volumes.create failed: conflict status=409'));
    assert.ok(!stderr.text().includes('transfers.create'));
  });
});
