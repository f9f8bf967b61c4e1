// What the `jco serve` suites share: starting `jco serve` on a composed function, calling it
// over keep-alive HTTP, and checking the typed error body.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const JCO = path.join(here, '../node_modules/.bin/jco');

/** A free local port. */
async function freePort() {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** `jco serve FUNCTION` on a free port, once it says it listens: { call, stop }. */
export async function serve(functionPath) {
  const port = await freePort();
  const child = spawn(JCO, ['serve', functionPath, '--port', String(port), '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stopped whole, with the server it starts
  });
  let output = '';
  await new Promise((resolve, reject) => {
    // jco says where it listens on stderr.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (l) => {
        output += `${l}\n`;
        if (l.includes('listening')) resolve();
      });
    }
    child.once('exit', (code) => reject(new Error(`jco serve exited with ${code}: ${output}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const base = `http://127.0.0.1:${port}`;
  /** One call: { status, body (parsed JSON, or null), text }. */
  const call = (method, route, { headers = {}, body } = {}) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${base}${route}`, { method, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text, body: text ? JSON.parse(text) : null }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const stop = () => {
    agent.destroy();
    child.stdout.destroy();
    child.stderr.destroy();
    process.kill(-child.pid, 'SIGKILL');
  };
  return { call, stop };
}

/** `answer` is the typed error body `{kind, status, message, request_id}`. */
export function typedError(answer, kind, status) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.body.kind, kind, answer.text);
  assert.equal(answer.body.status, status, answer.text);
  assert.ok(answer.body.message.length > 0, answer.text);
  assert.ok('request_id' in answer.body, answer.text);
}

/** 8 connections' `worker(n)` at once; every status, which must be 200 in all, each 2xx. */
export async function burst(worker) {
  const statuses = (await Promise.all([...Array(8).keys()].map(worker))).flat();
  assert.equal(statuses.length, 200);
  assert.deepEqual(statuses.filter((s) => s < 200 || s >= 300), []);
  return statuses;
}
