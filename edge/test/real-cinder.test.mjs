// The composed edge function under `jco serve`, against a real Cinder (noauth, see
// ../shared/real-cinder): run.sh composes EDGE_REAL_FUNCTION for project EDGE_REAL_PROJECT
// when REAL_CINDER_URL is set; without it every test says SKIPPED and why.
//
// No burst here: jco's preview2-shim (0.26.1) opens a new connection for every outgoing
// request and never reuses nor closes it, so after about 100 requests a real Cinder
// (eventlet, a pool of 100 connections) answers no one until jco exits. The burst runs
// against the mock (serve.test.mjs), and against the real Cinder under the host's serve
// mode (host-test/tests/edge.rs), whose pool reuses its connections.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, typedError } from '../lib/jco.mjs';

const FUNCTION = process.env.EDGE_REAL_FUNCTION;
const PROJECT = process.env.EDGE_REAL_PROJECT;
const skip = FUNCTION ? false : 'SKIPPED: REAL_CINDER_URL is not set (a Cinder 29 noauth, see ../shared/real-cinder)';
// Cinder's noauth takes `user:project` tokens.
const auth = { 'x-auth-token': `edge-jco:${PROJECT}` };

let jco;

before(async () => {
  if (!skip) jco = await serve(FUNCTION);
});

after(() => jco?.stop());

/** Polls `GET /volumes/{id}` until `done(answer)`, for up to a minute. */
async function until(id, done) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const a = await jco.call('GET', `/volumes/${id}`, { headers: auth });
    if (done(a)) return a;
    assert.ok(Date.now() < deadline, `still ${a.text}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('list, create (keyed, twice: one volume), get, extend, delete', { skip }, async () => {
  const { call } = jco;
  typedError(await call('GET', '/volumes'), 'unauthorized', 401);
  const keyed = { ...auth, 'idempotency-key': 'jco-real-1' };
  const spec = { size: 1, name: 'jco-real' };
  const v = await call('POST', '/volumes', { headers: keyed, body: spec });
  assert.equal(v.status, 202, v.text);
  const id = v.body.id;
  assert.equal((await call('POST', '/volumes', { headers: keyed, body: spec })).body.id, id);
  await until(id, (a) => a.body.status === 'available');
  assert.deepEqual((await call('GET', '/volumes', { headers: auth })).body.map((x) => x.id), [id]);
  const extended = await call('POST', `/volumes/${id}/extend`, { headers: auth, body: { new_size: 2 } });
  assert.equal(extended.status, 202, extended.text);
  await until(id, (a) => a.body.status === 'available' && a.body.size === 2);
  assert.equal((await call('GET', '/limits', { headers: auth })).status, 200);
  assert.equal((await call('DELETE', `/volumes/${id}`, { headers: auth })).status, 204);
  typedError(await until(id, (a) => a.status === 404), 'not-found', 404);
});
