// Shared test helpers: configs for the mock, typed-error assertions, and a capture of what
// the component writes to stderr (jco's shim forwards it from its I/O worker thread, so it
// reaches process.stderr asynchronously, after the call has returned).
import assert from 'node:assert/strict';
import { BlockStorageError, ERROR_CLASSES } from 'infomaniak-block-storage';
import { setTimeout as sleep } from 'node:timers/promises';

/** A config for the mock, with application credentials; `extra` overrides fields. */
export function mockConfig(info, extra = {}) {
  return {
    authUrl: info.auth_url,
    credentials: { applicationCredential: { id: info.app_cred_id, secret: info.app_cred_secret } },
    ...extra,
  };
}

/**
 * Calls `fn`, which must throw the BlockStorageError subclass of the WIT error `kind`;
 * returns it. Assertion messages never include the error's text: it is checked for secrets
 * separately (`assertNoSecret`).
 */
export function expectError(fn, kind) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected a ${kind} error, the call succeeded`);
  assert.ok(err instanceof BlockStorageError, `not a BlockStorageError: ${err?.constructor?.name}`);
  assert.equal(err.kind, kind);
  assert.ok(err instanceof ERROR_CLASSES[kind], `${err.name} is not the class of ${kind}`);
  return err;
}

/** Fails (without printing it) if `secret` occurs in `text`. */
export function assertNoSecret(text, secret, where) {
  assert.ok(secret.length > 0);
  assert.ok(!String(text).includes(secret), `a secret appears in ${where}`);
}

/** Everything written to process.stderr from now on (the component's log lines). */
export function captureStderr() {
  const chunks = [];
  const original = process.stderr.write;
  process.stderr.write = function (chunk, ...rest) {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return original.call(this, chunk, ...rest);
  };
  return {
    text: () => chunks.join(''),
    /** Waits until the captured text contains `needle` (the worker's output is async). */
    async waitFor(needle, ms = 3000) {
      const end = Date.now() + ms;
      while (!chunks.join('').includes(needle) && Date.now() < end) await sleep(10);
      return chunks.join('').includes(needle);
    },
    /** Lets the worker's pending output arrive. */
    settle: () => sleep(200),
    restore() {
      process.stderr.write = original;
    },
  };
}
