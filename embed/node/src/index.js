// infomaniak-block-storage: the block storage component (transpiled by jco, in ../gen)
// behind an idiomatic API. `connect` gives a Session; errors are BlockStorageError.
export { connect, Session } from './session.js';
export {
  BlockStorageError, InvalidInputError, UnauthorizedError, ForbiddenError, NotFoundError,
  BadRequestError, ConflictError, OverLimitError, ApiError, TransportError,
  InvalidResponseError, NoEndpointError, WaitTimeoutError, ResourceFailedError, ERROR_CLASSES,
} from './errors.js';
