// Typed errors through the installed package: a WIT error is thrown as the
// BlockStorageError subclass of its kind, with the api-error fields (`status`, `requestId`,
// `retryAfter`) as properties, `undefined` for a none option.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startMock } from '../lib/mock.mjs';
import { mockConfig, expectError, captureStderr, assertNoSecret } from '../lib/harness.mjs';
import { inspect } from 'node:util';
import { connect, BlockStorageError, UnauthorizedError } from 'infomaniak-block-storage';

const UNKNOWN = '0b7c9a42-7f0e-4c4e-9d1b-000000000000';
const WRONG_SECRET = 'wrong-secret-for-the-node-tests-7c1e';

describe('errors', () => {
  let mock, s, stderr;

  before(async () => {
    mock = await startMock();
    stderr = captureStderr();
    s = connect(mockConfig(mock.info));
  });

  after(async () => {
    s?.[Symbol.dispose]();
    stderr?.restore();
    await mock?.stop();
  });

  it('not-found carries the api-error fields and is logged once on stderr', async () => {
    const e = expectError(() => s.volumes.get(UNKNOWN), 'not-found');
    assert.equal(e.status, 404);
    assert.equal(e.message, `Volume ${UNKNOWN} could not be found.`);
    assert.match(e.requestId, /^req-[0-9a-f-]{36}$/);
    assert.equal(e.retryAfter, undefined);
    const line = `volumes.get ${UNKNOWN} failed: not-found status=404 request-id=${e.requestId}`;
    assert.ok(await stderr.waitFor(line), 'no log line for the failed call');
    assert.equal(expectError(() => s.snapshots.get(UNKNOWN), 'not-found').status, 404);
    assert.equal(expectError(() => s.backups.get(UNKNOWN), 'not-found').status, 404);
  });

  it('invalid-input is returned before any request is sent', async () => {
    // A session on a mock that is then stopped: any request would fail with `transport`.
    const own = await startMock();
    const t = connect(mockConfig(own.info, { timeoutMs: 5000 }));
    await own.stop();
    try {
      for (const bad of ['', '..', 'a/b', 'x y', 'é', 'x'.repeat(256)]) {
        assert.match(expectError(() => t.volumes.get(bad), 'invalid-input').message, /^id: /);
      }
      assert.match(expectError(() => t.volumes.create({ size: 0, metadata: [] }), 'invalid-input').message, /^size: /);
      assert.match(
        expectError(() => t.volumes.create({ size: 1, name: 'a\u0000b', metadata: [] }), 'invalid-input').message,
        /^name: /,
      );
      assert.match(expectError(() => t.volumes.attach('vol', '../srv', undefined), 'invalid-input').message, /^server-id: /);
      // ...whereas a valid call does try the (now closed) port.
      assert.match(expectError(() => t.volumes.get(UNKNOWN), 'transport').message, /./);
    } finally {
      t[Symbol.dispose]();
    }
  });

  it('transport once timeout-ms has passed when the server never answers', async () => {
    // A socket that listens and never accepts: the kernel completes the connection and the
    // request then waits. (Its backlog needs no event loop, so it may live in this process.)
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address();
    try {
      const start = Date.now();
      const e = expectError(
        () =>
          connect({
            credentials: { token: 'a-token' },
            blockStorageUrl: `http://127.0.0.1:${port}/volume/v3/p`,
            timeoutMs: 1000,
          }),
        'transport',
      );
      const ms = Date.now() - start;
      // The component's own deadline or the host's first-byte timeout, whichever fires first.
      assert.match(e.message, /timed out/);
      assert.ok(ms >= 1000 && ms < 5000, `took ${ms} ms`);
    } finally {
      server.close();
    }
  });

  it('unauthorized for a wrong secret, which is never echoed', async () => {
    const cfg = mockConfig(mock.info);
    cfg.credentials.applicationCredential.secret = WRONG_SECRET;
    let thrown;
    try {
      connect(cfg);
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof UnauthorizedError && thrown instanceof BlockStorageError, String(thrown?.name));
    assert.equal(thrown.kind, 'unauthorized');
    assert.equal(thrown.name, 'UnauthorizedError');
    const e = thrown;
    assert.equal(e.status, 401);
    assert.match(e.message, /requires authentication/);
    assert.match(e.requestId, /^req-/);
    assert.ok(await stderr.waitFor('session.connect failed: unauthorized status=401'));
    for (const secret of [WRONG_SECRET, mock.info.app_cred_secret]) {
      assertNoSecret(JSON.stringify(thrown) + String(thrown) + thrown.stack + inspect(thrown), secret, 'the error');
      assertNoSecret(stderr.text(), secret, 'stderr');
    }
  });

  it('over-limit for a volume above the gigabytes quota, with Retry-After', () => {
    const e = expectError(() => s.volumes.create({ size: 5000, name: 'too-big', metadata: [] }), 'over-limit');
    assert.equal(e.status, 413);
    assert.match(e.message, /VolumeSizeExceedsAvailableQuota/);
    assert.equal(e.retryAfter, 0);
    assert.deepEqual(s.volumes.list({ name: 'too-big', metadata: [] }), []);
  });

  it('forbidden for force-delete as a normal user, with the policy message', () => {
    const v = s.volumes.create({ size: 1, name: 'node-forbidden', metadata: [] });
    s.volumes.waitFor(v.id, 'available', 60);
    const e = expectError(() => s.volumes.delete(v.id, { force: true }), 'forbidden');
    assert.equal(e.status, 403);
    assert.match(e.message, /force_delete/);
    s.volumes.delete(v.id);
    assert.equal(s.volumes.waitFor(v.id, 'deleted', 60), undefined);
  });

  it('no-endpoint for a region the catalog does not have', () => {
    assert.match(expectError(() => connect(mockConfig(mock.info, { region: 'nowhere-1' })), 'no-endpoint').message, /nowhere-1/);
  });

  it('wait-timeout carries the last status seen', () => {
    const v = s.volumes.create({ size: 1, name: 'node-timeout', metadata: [] });
    s.volumes.waitFor(v.id, 'available', 60);
    assert.match(expectError(() => s.volumes.waitFor(v.id, 'in-use', 1), 'wait-timeout').message, /available/);
    s.volumes.delete(v.id);
    s.volumes.waitFor(v.id, 'deleted', 60);
  });

  it('host-side misuse throws a plain TypeError and leaves the instance usable', () => {
    // jco checks handles and types in JS before entering the component (wasmtime-py traps
    // on a dropped handle instead, and the instance cannot be entered again).
    const t = connect(mockConfig(mock.info));
    t.close();
    assert.throws(() => t.volumes.list(), (e) => e instanceof TypeError && !(e instanceof BlockStorageError));
    assert.throws(() => s.volumes.get(42), TypeError);
    assert.match(s.microversion(), /^3\./);
    assert.deepEqual(s.volumes.list({ name: 'nothing-by-this-name', metadata: [] }), []);
  });

  it('never wrote the secret to stderr', async () => {
    await stderr.settle();
    assertNoSecret(stderr.text(), mock.info.app_cred_secret, 'stderr');
    assertNoSecret(stderr.text(), WRONG_SECRET, 'stderr');
  });
});
