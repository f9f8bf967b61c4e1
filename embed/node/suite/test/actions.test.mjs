// Contract 0.2, part 2, through jco, against a mock cloud of its own: delete with cascade,
// idempotent creates, set-bootable / set-read-only, and volume transfers. The tests are
// steps of one scenario and run in file order.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../lib/mock.mjs';
import { mockConfig, expectError, captureStderr, assertNoSecret } from '../lib/harness.mjs';
import { connect } from 'infomaniak-block-storage';

const WAIT_S = 120;
const none = { metadata: [] }; // list-options with no filter, order nor limit
const KEY_ITEM = 'block-storage.idempotency-key'; // where the component keeps the key

describe('contract 0.2: cascade delete, idempotent creates, actions, transfers', () => {
  let mock, s, stderr;
  const made = { volumes: [], authKeys: [] };

  before(async () => {
    mock = await startMock();
    stderr = captureStderr();
    s = connect(mockConfig(mock.info));
  });

  after(async () => {
    if (s) {
      for (const id of made.volumes) {
        try {
          s.volumes.delete(id, { cascade: true });
        } catch {}
      }
      s[Symbol.dispose]();
    }
    stderr?.restore();
    await mock?.stop();
  });

  it('delete: refused with bad-request while the volume has a snapshot; cascade deletes both', async () => {
    const v = s.volumes.create({ size: 1, name: 'node-cascade', metadata: [] });
    made.volumes.push(v.id);
    s.volumes.waitFor(v.id, 'available', WAIT_S);
    const sn = s.snapshots.create({ volumeId: v.id, name: 'node-cascade-snap', force: false, metadata: [] });
    s.snapshots.waitFor(sn.id, 'available', WAIT_S);

    const e = expectError(() => s.volumes.delete(v.id), 'bad-request');
    assert.equal(e.status, 400);
    assert.match(e.message, /have snapshots/);
    assert.equal(s.volumes.get(v.id).status, 'available'); // nothing was deleted
    const line = `infomaniak-block-storage: volumes.delete ${v.id} failed: bad-request status=400`;
    assert.ok(await stderr.waitFor(line), 'no log line for the refused delete');

    assert.equal(s.volumes.delete(v.id, { cascade: true }), undefined);
    // The mock is asynchronous: both are `deleting` for a while, the snapshot goes first.
    assert.equal(s.snapshots.waitFor(sn.id, 'deleted', WAIT_S), undefined);
    assert.equal(s.volumes.waitFor(v.id, 'deleted', WAIT_S), undefined);
    made.volumes = made.volumes.filter((id) => id !== v.id);
    assert.deepEqual(s.snapshots.list(none), []);
    assert.deepEqual(s.volumes.list(none), []);
  });

  it('idempotent volume create: the same key gives the same volume; with another size it is conflict', () => {
    const key = 'node-idem-volume-1';
    const spec = { size: 1, name: 'node-idem', metadata: [['purpose', 'embed']], idempotencyKey: key };
    const a = s.volumes.create(spec);
    made.volumes.push(a.id);
    const b = s.volumes.create(spec); // while the first is still creating, or after
    assert.equal(b.id, a.id);
    assert.equal(s.volumes.waitFor(a.id, 'available', WAIT_S).id, a.id);
    assert.equal(s.volumes.create(spec).id, a.id); // and once it is available
    assert.deepEqual(s.volumes.list(none).map((v) => v.id), [a.id]); // the mock holds one volume
    const md = s.volumes.get(a.id).metadata;
    assert.ok(md.some(([k, v]) => k === KEY_ITEM && v === key), `no ${KEY_ITEM} in ${JSON.stringify(md)}`);
    assert.ok(md.some(([k, v]) => k === 'purpose' && v === 'embed'));

    const c = expectError(() => s.volumes.create({ ...spec, size: 2 }), 'conflict');
    assert.equal(c.status, 409);
    assert.match(c.message, /^idempotency-key: /);
    assert.ok(c.message.includes(a.id), c.message);
    assert.deepEqual(s.volumes.list(none).map((v) => v.id), [a.id]); // still one

    assert.equal(s.volumes.get(a.id).size, 1); // the refused create changed nothing
    // The key is checked like a metadata value before any request.
    assert.match(expectError(() => s.volumes.create({ ...spec, idempotencyKey: '' }), 'invalid-input').message, /^idempotency-key: /);
  });

  it('idempotent snapshot create: the same key gives the same snapshot', () => {
    const [vid] = made.volumes;
    const spec = { volumeId: vid, name: 'node-idem-snap', force: false, metadata: [], idempotencyKey: 'node-idem-snap-1' };
    const a = s.snapshots.create(spec);
    assert.equal(s.snapshots.create(spec).id, a.id);
    s.snapshots.waitFor(a.id, 'available', WAIT_S);
    assert.deepEqual(s.snapshots.list(none).map((x) => x.id), [a.id]);
    s.snapshots.delete(a.id);
    assert.equal(s.snapshots.waitFor(a.id, 'deleted', WAIT_S), undefined);
  });

  it('set-bootable and set-read-only show in the volume', () => {
    const [id] = made.volumes;
    let v = s.volumes.get(id);
    assert.equal(v.bootable, false);
    assert.equal(v.readOnly, false);
    assert.equal(s.volumes.setBootable(id, true), undefined);
    assert.equal(s.volumes.setReadOnly(id, true), undefined);
    v = s.volumes.get(id);
    assert.equal(v.bootable, true);
    assert.equal(v.readOnly, true);
    s.volumes.setBootable(id, false);
    s.volumes.setReadOnly(id, false);
    v = s.volumes.get(id);
    assert.equal(v.bootable, false);
    assert.equal(v.readOnly, false);
  });

  it('a transfer: create, get, list, a wrong key is bad-request, delete makes the volume available again', () => {
    const [id] = made.volumes;
    const created = s.transfers.create(id, 'node-transfer');
    made.authKeys.push(created.authKey);
    const t = created.transfer;
    assert.equal(t.volumeId, id);
    assert.equal(t.name, 'node-transfer');
    assert.ok(t.id && t.createdAt, JSON.stringify(t));
    assert.equal(typeof created.authKey, 'string');
    assert.ok(created.authKey.length > 0);
    assert.equal(s.volumes.get(id).status, 'awaiting-transfer');

    const got = s.transfers.get(t.id);
    assert.deepEqual([got.id, got.name, got.volumeId], [t.id, t.name, t.volumeId]);
    assert.deepEqual(s.transfers.list().map((x) => x.id), [t.id]);

    const wrong = 'node-wrong-auth-key-0000';
    const e = expectError(() => s.transfers.accept(t.id, wrong), 'bad-request');
    assert.match(e.message, /Invalid auth key/);
    assertNoSecret(JSON.stringify(e), created.authKey, 'the accept error');

    assert.equal(s.transfers.delete(t.id), undefined);
    assert.equal(s.volumes.get(id).status, 'available');
    assert.deepEqual(s.transfers.list(), []);
    expectError(() => s.transfers.get(t.id), 'not-found');
  });

  it('a transfer accepted with its key (here by the same project) is gone, the volume available', () => {
    const [id] = made.volumes;
    const created = s.transfers.create(id, undefined); // a none name
    made.authKeys.push(created.authKey);
    assert.equal(created.transfer.name, undefined);
    const accepted = s.transfers.accept(created.transfer.id, created.authKey);
    assert.equal(accepted.id, created.transfer.id);
    assert.equal(accepted.volumeId, id);
    assert.equal(accepted.createdAt, ''); // Cinder's accept answer has no created_at
    assert.equal(s.volumes.get(id).status, 'available');
    expectError(() => s.transfers.get(created.transfer.id), 'not-found');
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
