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
import { connect } from 'infomaniak-block-storage';

const EXAMPLE = fileURLToPath(new URL('../example.mjs', import.meta.url));

/** Runs example.mjs in its own node process with the given credentials and arguments. */
async function runExample(info, secret, args = []) {
  const env = {
    PATH: process.env.PATH,
    OS_AUTH_URL: info.auth_url,
    OS_APPLICATION_CREDENTIAL_ID: info.app_cred_id,
    OS_APPLICATION_CREDENTIAL_SECRET: secret,
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [EXAMPLE, ...args], { env, timeout: 60_000 });
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
      'the README\'s ```js block differs from embed/node/suite/example.mjs: paste the file into README.md',
    );
  });

  it('shows the quota and the five newest volumes, then renames and tags a volume', async () => {
    const s = connect(mockConfig(mock.info));
    // Six volumes of 1 GiB, the oldest with metadata of its own; the example lists five.
    const ids = [];
    for (const n of [1, 2, 3, 4, 5, 6]) {
      const metadata = n === 1 ? [['team', 'storage']] : [];
      ids.push(s.volumes.create({ size: 1, name: `readme-js-${n}`, metadata }).id);
    }
    s.volumes.waitFor(ids[5], 'available', 60); // the newest: the others are available before it
    const shown =
      'volumes 6/10, GiB 6/1000\n' +
      [5, 4, 3, 2, 1].map((i) => `${ids[i]} available 1 GiB readme-js-${i + 1}\n`).join('');

    const out = await runExample(mock.info, mock.info.app_cred_secret);
    assert.equal(out.code, 0, `example.mjs failed: ${out.stderr}`);
    assert.equal(out.stdout, shown);
    assert.equal(out.stderr, '');

    // Given a volume: renamed, and its metadata comes back whole, sorted by key.
    const renamed = await runExample(mock.info, mock.info.app_cred_secret, [ids[0], 'readme-js-renamed']);
    assert.equal(renamed.code, 0, `example.mjs failed: ${renamed.stderr}`);
    assert.equal(renamed.stdout, `${shown}${ids[0]} is now readme-js-renamed: renamed-by=example.mjs team=storage\n`);
    assert.equal(renamed.stderr, '');
    const v = s.volumes.get(ids[0]);
    assert.equal(v.name, 'readme-js-renamed');
    assert.deepEqual(v.metadata, [['renamed-by', 'example.mjs'], ['team', 'storage']]);

    for (const id of ids) s.volumes.delete(id);
    s.volumes.waitFor(ids[5], 'deleted', 60); // the last one: the others are gone before it
    assert.deepEqual(s.volumes.list({ metadata: [] }), []);
    s[Symbol.dispose]();
  });

  it('reports a wrong secret as unauthorized, without echoing it', async () => {
    const wrong = 'wrong-secret-for-the-readme-js-91b2';
    const out = await runExample(mock.info, wrong);
    assert.equal(out.code, 1);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /^UnauthorizedError \(unauthorized, status 401, request req-[0-9a-f-]+\): .*requires authentication\.$/m);
    assertNoSecret(out.stderr, wrong, "the example's output");
  });
});
