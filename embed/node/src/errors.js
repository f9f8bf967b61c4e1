// The component's WIT `error` as JavaScript exceptions: one class per error kind, all
// under BlockStorageError. The component has already replaced every secret it holds in
// these texts by `***`; nothing else is copied from the jco error (its stack included).

/** A failed call: `kind` is the WIT error case, e.g. `not-found`. */
export class BlockStorageError extends Error {
  constructor(kind, message, { status, requestId, retryAfter, failure } = {}) {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
    this.status = status; // HTTP status, for the api-error kinds
    this.requestId = requestId;
    this.retryAfter = retryAfter; // seconds, from Retry-After
    this.failure = failure; // { resourceId, status, reason } for resource-failed
  }
}

export class InvalidInputError extends BlockStorageError {}
export class UnauthorizedError extends BlockStorageError {}
export class ForbiddenError extends BlockStorageError {}
export class NotFoundError extends BlockStorageError {}
export class BadRequestError extends BlockStorageError {}
export class ConflictError extends BlockStorageError {}
export class OverLimitError extends BlockStorageError {}
export class ApiError extends BlockStorageError {}
export class TransportError extends BlockStorageError {}
export class InvalidResponseError extends BlockStorageError {}
export class NoEndpointError extends BlockStorageError {}
export class WaitTimeoutError extends BlockStorageError {}
export class ResourceFailedError extends BlockStorageError {}

/** The class of each WIT error case. */
export const ERROR_CLASSES = Object.freeze({
  'invalid-input': InvalidInputError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  'not-found': NotFoundError,
  'bad-request': BadRequestError,
  conflict: ConflictError,
  'over-limit': OverLimitError,
  api: ApiError,
  transport: TransportError,
  'invalid-response': InvalidResponseError,
  'no-endpoint': NoEndpointError,
  'wait-timeout': WaitTimeoutError,
  'resource-failed': ResourceFailedError,
});

/** The exception for a WIT error `{ tag, val }`. */
export function fromWitError({ tag, val }) {
  const Class = ERROR_CLASSES[tag];
  if (typeof val === 'string') return new Class(tag, val);
  if (tag === 'resource-failed') {
    const failure = { resourceId: val.resourceId, status: val.status, reason: val.reason };
    const why = val.reason === undefined ? '' : `: ${val.reason}`;
    return new Class(tag, `${val.resourceId} reached ${val.status}${why}`, { failure });
  }
  return new Class(tag, val.message, { status: val.status, requestId: val.requestId, retryAfter: val.retryAfterS });
}

/** Runs a component call, turning jco's ComponentError into a BlockStorageError. */
export function guard(call) {
  try {
    return call();
  } catch (e) {
    // jco throws a ComponentError whose `payload` is the WIT error (its class name does not
    // survive --minify); anything else (a TypeError for a bad argument or a dropped session)
    // is the caller's and passes through.
    if (e instanceof Error && Object.hasOwn(ERROR_CLASSES, e.payload?.tag)) throw fromWitError(e.payload);
    throw e;
  }
}
