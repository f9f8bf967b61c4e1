// The composed edge function under `jco serve` (Node.js), called over HTTP against the
// mock cloud: the checks of host-test/tests/edge.rs (lifecycle, 401, a burst). run.sh
// composes EDGE_FUNCTION for the mock's block storage URL on EDGE_MOCK_PORT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../../embed/node/suite/lib/mock.mjs';
import { burst, serve, typedError } from '../lib/jco.mjs';

const FUNCTION = process.env.EDGE_FUNCTION;
const MOCK_PORT = process.env.EDGE_MOCK_PORT;

let mock;
let jco;
let call;
let token;

const auth = () => ({ 'x-auth-token': token });

before(async () => {
  assert.ok(FUNCTION && MOCK_PORT, 'EDGE_FUNCTION and EDGE_MOCK_PORT are set by edge/run.sh');
  mock = await startMock(['--port', MOCK_PORT, '--transition-ms', '0']);
  const { auth_url, app_cred_id: id, app_cred_secret: secret } = mock.info;
  const identity = { methods: ['application_credential'], application_credential: { id, secret } };
  const r = await fetch(`${auth_url}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity } }),
  });
  token = r.headers.get('x-subject-token');
  assert.ok(token, `no token: ${r.status}`);
  jco = await serve(FUNCTION);
  call = jco.call;
});

after(async () => {
  jco?.stop();
  await mock?.stop();
});

test('list, create (keyed, twice: one volume), get, extend, delete', async () => {
  const keyed = { ...auth(), 'idempotency-key': 'jco-job-1' };
  const spec = { size: 1, name: 'jco-1', metadata: { team: 'edge' } };
  const v = await call('POST', '/volumes', { headers: keyed, body: spec });
  assert.equal(v.status, 202, v.text);
  assert.equal(v.body.name, 'jco-1');
  assert.equal(v.body.metadata.team, 'edge', v.text);
  const again = await call('POST', '/volumes', { headers: keyed, body: spec });
  assert.equal(again.body.id, v.body.id);
  const all = await call('GET', '/volumes', { headers: auth() });
  assert.deepEqual(all.body.map((x) => x.id), [v.body.id]);
  const got = await call('GET', `/volumes/${v.body.id}`, { headers: auth() });
  assert.equal(got.status, 200, got.text);
  const extended = await call('POST', `/volumes/${v.body.id}/extend`, { headers: auth(), body: { new_size: 2 } });
  assert.equal(extended.status, 202, extended.text);
  assert.equal((await call('GET', `/volumes/${v.body.id}`, { headers: auth() })).body.size, 2);
  const limits = await call('GET', '/limits', { headers: auth() });
  assert.equal(limits.body.volumes_used, 1, limits.text);
  assert.equal((await call('DELETE', `/volumes/${v.body.id}`, { headers: auth() })).status, 204);
  typedError(await call('GET', `/volumes/${v.body.id}`, { headers: auth() }), 'not-found', 404);
});

test('a bad token is 401 with the typed body, never echoed', async () => {
  const canary = 'gAAAAA-jco-canary-token-0123456789';
  const a = await call('GET', '/volumes', { headers: { 'x-auth-token': canary } });
  typedError(a, 'unauthorized', 401);
  assert.ok(!a.text.includes(canary), a.text);
  typedError(await call('GET', '/volumes'), 'unauthorized', 401);
  const bad = await call('POST', '/volumes', { headers: auth(), body: { name: 'no size' } });
  typedError(bad, 'invalid-input', 400);
  assert.match(bad.body.message, /size/);
});

test('a burst of 200 requests through 8 connections, nothing left behind', async () => {
  const started = performance.now();
  const worker = async (w) => {
    const statuses = [(await call('GET', '/limits', { headers: auth() })).status];
    for (let i = 0; i < 6; i++) {
      const v = await call('POST', '/volumes', { headers: auth(), body: { size: 1, name: `burst-${w}-${i}` } });
      statuses.push(v.status);
      statuses.push((await call('GET', `/volumes/${v.body.id}`, { headers: auth() })).status);
      statuses.push((await call('GET', '/volumes', { headers: auth() })).status);
      statuses.push((await call('DELETE', `/volumes/${v.body.id}`, { headers: auth() })).status);
    }
    return statuses;
  };
  await burst(worker);
  const left = await call('GET', '/volumes', { headers: auth() });
  assert.deepEqual(left.body, []);
  console.log(`jco serve: 200 requests through 8 connections in ${Math.round(performance.now() - started)} ms`);
});
