// The README's JavaScript snippet is example.mjs, verbatim, and it works against the mock.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMock } from '../lib/mock.mjs';
import { mockConfig, assertNoSecret } from '../lib/harness.mjs';
import { readmeBlocks } from '../lib/readme.mjs';
import { session, volumes } from '../gen/block-storage.js';

const EXAMPLE = fileURLToPath(new URL('../example.mjs', import.meta.url));

/** Runs example.mjs in its own node process with the given credentials. */
async function runExample(info, secret) {
  const env = {
    PATH: process.env.PATH,
    OS_AUTH_URL: info.auth_url,
    OS_APPLICATION_CREDENTIAL_ID: info.app_cred_id,
    OS_APPLICATION_CREDENTIAL_SECRET: secret,
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [EXAMPLE], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('README snippet (JavaScript)', () => {
  let mock;
  before(async () => {
    mock = await startMock();
  });
  after(async () => {
    await mock?.stop();
  });

  it('is example.mjs, verbatim', () => {
    const js = readmeBlocks('### Other hosts').filter((b) => b.lang === 'js');
    assert.equal(js.length, 1, 'expected one ```js block under "### Other hosts"');
    assert.ok(
      js[0].code === readFileSync(EXAMPLE, 'utf8'),
      'the README\'s ```js block differs from embed/node/example.mjs: paste the file into README.md',
    );
  });

  it('lists the volumes of the mock', async () => {
    const s = session.connect(mockConfig(mock.info));
    const v = volumes.create(s, { size: 1, name: 'readme-js', metadata: [] });
    volumes.waitFor(s, v.id, 'available', 60);
    const out = await runExample(mock.info, mock.info.app_cred_secret);
    assert.equal(out.code, 0, `example.mjs failed: ${out.stderr}`);
    assert.equal(out.stdout, `${v.id} available 1 GiB\n`);
    assert.equal(out.stderr, '');
    volumes.delete(s, v.id, false);
    volumes.waitFor(s, v.id, 'deleted', 60);
    s[Symbol.dispose]();
  });

  it('reports a wrong secret as unauthorized, without echoing it', async () => {
    const wrong = 'wrong-secret-for-the-readme-js-91b2';
    const out = await runExample(mock.info, wrong);
    assert.equal(out.code, 1);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /tag: 'unauthorized'/);
    assert.match(out.stderr, /status: 401/);
    assertNoSecret(out.stderr, wrong, "the example's output");
  });
});
