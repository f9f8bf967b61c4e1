"""The WIT `error` as exceptions: one class per error kind, all under `BlockStorageError`.

The component has already replaced every secret it holds in these texts by `***`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from .types import Failure


class ErrorKind(str, Enum):
    """The cases of the WIT `error` variant (equal to their WIT names as strings)."""

    INVALID_INPUT = "invalid-input"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not-found"
    BAD_REQUEST = "bad-request"
    CONFLICT = "conflict"
    OVER_LIMIT = "over-limit"
    API = "api"
    TRANSPORT = "transport"
    INVALID_RESPONSE = "invalid-response"
    NO_ENDPOINT = "no-endpoint"
    WAIT_TIMEOUT = "wait-timeout"
    RESOURCE_FAILED = "resource-failed"


class BlockStorageError(Exception):
    """A failed call. `status`, `request_id` and `retry_after` (seconds) are set for the
    kinds that carry the server's answer; `failure` for `resource-failed`."""

    kind: ErrorKind

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: int | None = None,
        failure: Failure | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        self.failure = failure

    def __str__(self) -> str:
        status = "" if self.status is None else f" {self.status}"
        return f"{self.kind.value}{status}: {self.message}"


class InvalidInputError(BlockStorageError):
    kind = ErrorKind.INVALID_INPUT


class UnauthorizedError(BlockStorageError):
    kind = ErrorKind.UNAUTHORIZED


class ForbiddenError(BlockStorageError):
    kind = ErrorKind.FORBIDDEN


class NotFoundError(BlockStorageError):
    kind = ErrorKind.NOT_FOUND


class BadRequestError(BlockStorageError):
    kind = ErrorKind.BAD_REQUEST


class ConflictError(BlockStorageError):
    kind = ErrorKind.CONFLICT


class OverLimitError(BlockStorageError):
    kind = ErrorKind.OVER_LIMIT


class ApiError(BlockStorageError):
    kind = ErrorKind.API


class TransportError(BlockStorageError):
    kind = ErrorKind.TRANSPORT


class InvalidResponseError(BlockStorageError):
    kind = ErrorKind.INVALID_RESPONSE


class NoEndpointError(BlockStorageError):
    kind = ErrorKind.NO_ENDPOINT


class WaitTimeoutError(BlockStorageError):
    kind = ErrorKind.WAIT_TIMEOUT


class ResourceFailedError(BlockStorageError):
    kind = ErrorKind.RESOURCE_FAILED


#: The class of each error kind.
ERROR_CLASSES: dict[ErrorKind, type[BlockStorageError]] = {
    cls.kind: cls
    for cls in (
        InvalidInputError, UnauthorizedError, ForbiddenError, NotFoundError, BadRequestError,
        ConflictError, OverLimitError, ApiError, TransportError, InvalidResponseError,
        NoEndpointError, WaitTimeoutError, ResourceFailedError,
    )
}  # fmt: skip


def from_wit(tag: str, payload: Any) -> BlockStorageError:
    """The exception for the WIT error `Variant(tag, payload)` as wasmtime-py returns it."""
    cls = ERROR_CLASSES[ErrorKind(tag)]
    if isinstance(payload, str):
        return cls(payload)
    if cls is ResourceFailedError:
        failure = Failure(getattr(payload, "resource-id"), payload.status, payload.reason)
        why = "" if failure.reason is None else f": {failure.reason}"
        return cls(f"{failure.resource_id} reached {failure.status}{why}", failure=failure)
    return cls(
        payload.message,
        status=payload.status,
        request_id=getattr(payload, "request-id"),
        retry_after=getattr(payload, "retry-after-s"),
    )
