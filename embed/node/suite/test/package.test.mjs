// The idiomatic layer of the installed package: where it was installed from and what it
// ships, credentials checked before the component, metadata as objects, numbers for the
// limits, one error class per kind, and a refused token never echoed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import path from 'node:path';
import * as pkg from 'infomaniak-block-storage';
import { startMock, ROOT } from '../lib/mock.mjs';
import { mockConfig, expectError, assertNoSecret } from '../lib/harness.mjs';

const { connect, BlockStorageError, ERROR_CLASSES, InvalidInputError } = pkg;

/** Every file under `dir`, relative to it. */
function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

describe('the installed package', () => {
  let mock;
  before(async () => {
    mock = await startMock();
  });
  after(async () => {
    await mock?.stop();
  });

  it('is imported from node_modules, outside the source tree, and ships only src/ and gen/', () => {
    const entry = fileURLToPath(import.meta.resolve('infomaniak-block-storage'));
    const dir = path.resolve(entry, '../..');
    assert.ok(dir.endsWith(`${path.sep}node_modules${path.sep}infomaniak-block-storage`), dir);
    assert.ok(!dir.startsWith(ROOT + path.sep), `imported from the source tree: ${dir}`);
    const shipped = files(dir);
    for (const f of ['package.json', 'src/index.js', 'src/index.d.ts', 'gen/block-storage.js', 'gen/block-storage.d.ts', 'gen/block-storage.core.wasm']) {
      assert.ok(shipped.includes(f), `${f} is not in the package`);
    }
    const outside = shipped.filter((f) => !/^(src|gen)\//.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f));
    assert.deepEqual(outside, []);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    assert.equal(manifest.version, '0.2.0');
    assert.deepEqual(Object.keys(manifest.dependencies), ['@bytecodealliance/preview2-shim']);
  });

  it('exports connect, Session and one BlockStorageError subclass per WIT error kind', () => {
    const kinds = Object.keys(ERROR_CLASSES);
    assert.equal(kinds.length, 13);
    assert.equal(new Set(Object.values(ERROR_CLASSES)).size, 13);
    for (const [kind, Class] of Object.entries(ERROR_CLASSES)) {
      const camel = kind.replace(/(^|-)(\w)/g, (_, _dash, c) => c.toUpperCase());
      assert.equal(Class.name, `${camel}Error`);
      assert.equal(pkg[Class.name], Class, `${Class.name} is not exported`);
      const e = new Class(kind, 'text', { status: 400 });
      assert.ok(e instanceof BlockStorageError && e instanceof Error);
      assert.deepEqual([e.name, e.kind, e.message, e.status], [Class.name, kind, 'text', 400]);
    }
    assert.equal(typeof pkg.Session, 'function');
    assert.equal(pkg.guard, undefined); // internals stay internal
  });

  it('credentials must be exactly one of the three kinds, refused without any request and without the secret', () => {
    const secret = 'a-secret-that-must-not-show-5d2a';
    const bad = [{}, { applicationCredential: { id: 'i', secret }, token: secret }, undefined];
    for (const credentials of bad) {
      // No server listens on port 9 of localhost: a request would be `transport`.
      const e = expectError(() => connect({ authUrl: 'http://127.0.0.1:9/v3', credentials }), 'invalid-input');
      assert.ok(e instanceof InvalidInputError);
      assert.match(e.message, /^credentials: /);
      assertNoSecret(e.message + e.stack + inspect(e), secret, 'the error');
    }
  });

  it('a u32 out of range (which jco would wrap) is invalid-input naming the field, before any request', () => {
    const message = (field) => `${field}: must be an integer from 0 to 4294967295`;
    const refused = (fn, field) => assert.equal(expectError(fn, 'invalid-input').message, message(field));
    // Port 9 of localhost: a request would be `transport`.
    const closed = { credentials: { token: 'a-token' }, blockStorageUrl: 'http://127.0.0.1:9/v3/p', microversion: '3.0' };
    refused(() => connect({ ...closed, timeoutMs: -1 }), 'timeout-ms');
    refused(() => connect({ ...closed, maxResponseBytes: 2 ** 32 }), 'max-response-bytes');
    const s = connect(mockConfig(mock.info));
    try {
      for (const size of [-1, 1.5, 2 ** 32, NaN]) refused(() => s.volumes.create({ size }), 'size');
      refused(() => s.volumes.list({ limit: -1 }), 'limit');
      refused(() => s.snapshots.list({ pageSize: 2 ** 32 }), 'page-size');
      refused(() => s.volumes.extend('vol', -1), 'new-size');
      refused(() => s.backups.waitFor('b', 'available', -1), 'timeout-s');
      assert.deepEqual(s.volumes.list(), []); // nothing was created
    } finally {
      s.close();
    }
  });

  it('metadata may be a plain object or left out; limits are numbers', () => {
    const s = connect(mockConfig(mock.info));
    try {
      const v = s.volumes.create({ size: 1, name: 'node-object-md', metadata: { b: '2', a: '1' } });
      assert.deepEqual(v.metadata, [['a', '1'], ['b', '2']]); // pairs, sorted by key
      const bare = s.volumes.create({ size: 1, name: 'node-no-md' });
      assert.deepEqual(bare.metadata, []);
      for (const x of [v, bare]) s.volumes.waitFor(x.id, 'available', 60);
      assert.deepEqual(s.volumes.list({ metadata: { a: '1' } }).map((x) => x.id), [v.id]);
      assert.equal(s.volumes.list().length, 2);
      assert.deepEqual(s.volumes.setMetadata(v.id, { c: '3' }), [['a', '1'], ['b', '2'], ['c', '3']]);
      const l = s.project.limits();
      assert.deepEqual([typeof l.volumesUsed, l.volumesUsed, l.gigabytesUsed], ['number', 2, 2]);
      for (const id of [v.id, bare.id]) s.volumes.delete(id);
      s.volumes.waitFor(bare.id, 'deleted', 60);
      s.volumes.waitFor(v.id, 'deleted', 60);
      assert.deepEqual(s.volumes.list(), []);
    } finally {
      s.close();
    }
  });

  it('a refused token is an UnauthorizedError with the request id, and the token is not in it', () => {
    const token = 'gAAAAA-not-a-token-of-this-cloud-8e41';
    const e = expectError(() => {
      const s = connect({ credentials: { token }, blockStorageUrl: mock.info.block_storage_url });
      s.volumes.list();
    }, 'unauthorized');
    assert.equal(e.status, 401);
    assert.match(e.requestId, /^req-/);
    assertNoSecret(e.message + e.stack + inspect(e) + JSON.stringify(e), token, 'the error');
  });
});
