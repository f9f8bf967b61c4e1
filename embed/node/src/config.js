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
  return { ...config, authUrl: config?.authUrl ?? '', credentials: witCredentials(config?.credentials) };
}

/** Metadata as `[key, value]` pairs, from pairs or a plain object. */
export function pairs(metadata) {
  if (metadata === undefined || metadata === null) return [];
  return Array.isArray(metadata) ? metadata : Object.entries(metadata);
}

/** A record with a `metadata` field, which may be left out or given as an object. */
export function withMetadata(record = {}) {
  return { ...record, metadata: pairs(record.metadata) };
}

/** The WIT `limits` with numbers instead of BigInts (GiB and counts fit easily). */
export function limitsAsNumbers(limits) {
  return Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, v === undefined ? v : Number(v)]));
}
