// The idiomatic config and arguments, lowered to what jco expects for the WIT types.
import { InvalidInputError } from './errors.js';

const CREDENTIALS = { applicationCredential: 'application-credential', password: 'password', token: 'token' };

/**
 * `{ applicationCredential: { id, secret } }`, `{ password: { userName, ... } }` or
 * `{ token }` as the WIT `credentials` variant. Refused here, before the component, when
 * it is not exactly one of them (the message names the field, never a value).
 */
export function witCredentials(credentials) {
  const given = Object.keys(CREDENTIALS).filter((k) => credentials?.[k] !== undefined);
  if (given.length !== 1) {
    throw new InvalidInputError(
      'invalid-input',
      'credentials: give exactly one of applicationCredential, password or token',
    );
  }
  return { tag: CREDENTIALS[given[0]], val: credentials[given[0]] };
}

/** The WIT `config`: `authUrl` may be left out (token credentials). */
export function witConfig(config) {
  return { ...checkU32Fields(config), authUrl: config?.authUrl ?? '', credentials: witCredentials(config?.credentials) };
}

const U32_MAX = 2 ** 32 - 1;

/**
 * `value` as a WIT `u32`, or InvalidInputError naming `field`: jco would wrap it silently
 * (-1 becomes 4294967295, 1.5 becomes 1).
 */
export function u32(field, value) {
  if (Number.isInteger(value) && value >= 0 && value <= U32_MAX) return value;
  throw new InvalidInputError('invalid-input', `${field}: must be an integer from 0 to ${U32_MAX}`);
}

/** An input record whose numbers (all `u32` or `option<u32>` in the WIT) are checked. */
function checkU32Fields(record = {}) {
  for (const [k, v] of Object.entries(record ?? {})) {
    if (typeof v === 'number') u32(k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v);
  }
  return record;
}

/** Metadata as `[key, value]` pairs, from pairs or a plain object. */
export function pairs(metadata) {
  if (metadata === undefined || metadata === null) return [];
  return Array.isArray(metadata) ? metadata : Object.entries(metadata);
}

/** A record with a `metadata` field, which may be left out or given as an object. */
export function withMetadata(record = {}) {
  return { ...checkU32Fields(record), metadata: pairs(record.metadata) };
}

/** The WIT `limits` with numbers instead of BigInts (GiB and counts fit easily). */
export function limitsAsNumbers(limits) {
  return Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, v === undefined ? v : Number(v)]));
}
