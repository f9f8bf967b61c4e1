// Types of the idiomatic layer. The records are jco's, generated from the WIT (../gen).
import type * as T from '../gen/interfaces/infomaniak-block-storage-types.js';

export type {
  ApplicationCredential, PasswordCredential, Attachment, Volume, Snapshot, Backup, Restored,
  VolumeCreate, SnapshotCreate, BackupCreate, ImageUpload, UploadedImage, Transfer,
  TransferCreated, ListOptions, ResourceUpdate, VolumeType, AvailabilityZone, Message,
} from '../gen/interfaces/infomaniak-block-storage-types.js';

/** Metadata to send: `[key, value]` pairs or a plain object. Answers are pairs sorted by key. */
export type MetadataInput = Array<[string, string]> | Record<string, string>;

/** Exactly one way to authenticate. */
export type Credentials =
  | { applicationCredential: T.ApplicationCredential }
  | { password: T.PasswordCredential }
  | { token: string };

/** The WIT `config`; `authUrl` may be left out with token credentials. */
export interface Config extends Omit<T.Config, 'authUrl' | 'credentials'> {
  authUrl?: string;
  credentials: Credentials;
}

/** A record whose `metadata` may be left out or given as an object. */
type WithMetadata<R extends { metadata: Array<[string, string]> }> = Omit<R, 'metadata'> & { metadata?: MetadataInput };
export type VolumeSpec = WithMetadata<T.VolumeCreate>;
export type SnapshotSpec = WithMetadata<Omit<T.SnapshotCreate, 'force'>> & { force?: boolean };
export type BackupSpec = WithMetadata<Omit<T.BackupCreate, 'incremental' | 'force'>> & { incremental?: boolean; force?: boolean };
export type ListFilter = WithMetadata<T.ListOptions>;
export type ImageUploadSpec = Omit<T.ImageUpload, 'force' | 'protected'> & { force?: boolean; protected?: boolean };

/** The WIT `limits`, in numbers; a maximum left undefined is unlimited. */
export type Limits = { [K in keyof T.Limits]: undefined extends T.Limits[K] ? number | undefined : number };

export interface Volumes {
  list(opts?: ListFilter): T.Volume[];
  get(id: string): T.Volume;
  create(spec: VolumeSpec): T.Volume;
  delete(id: string, opts?: { force?: boolean; cascade?: boolean }): void;
  extend(id: string, newSize: number): void;
  attach(id: string, serverId: string, device?: string): T.Attachment;
  detach(id: string, serverId: string): void;
  /** With status `deleted`, waits until the volume is gone and returns undefined. */
  waitFor(id: string, status: string, timeoutS: number): T.Volume | undefined;
  update(id: string, changes: T.ResourceUpdate): T.Volume;
  setMetadata(id: string, items: MetadataInput): Array<[string, string]>;
  unsetMetadata(id: string, keys: string[]): void;
  setBootable(id: string, bootable: boolean): void;
  setReadOnly(id: string, readOnly: boolean): void;
  retype(id: string, volumeType: string, opts?: { migrate?: boolean }): void;
  revertToSnapshot(id: string, snapshotId: string): void;
  uploadToImage(id: string, spec: ImageUploadSpec): T.UploadedImage;
}

export interface Snapshots {
  list(opts?: ListFilter): T.Snapshot[];
  get(id: string): T.Snapshot;
  create(spec: SnapshotSpec): T.Snapshot;
  delete(id: string, opts?: { force?: boolean }): void;
  waitFor(id: string, status: string, timeoutS: number): T.Snapshot | undefined;
  update(id: string, changes: T.ResourceUpdate): T.Snapshot;
  setMetadata(id: string, items: MetadataInput): Array<[string, string]>;
  unsetMetadata(id: string, keys: string[]): void;
}

export interface Backups {
  list(opts?: ListFilter): T.Backup[];
  get(id: string): T.Backup;
  create(spec: BackupSpec): T.Backup;
  /** Onto `volumeId`, or else into a new volume named `name`. */
  restore(id: string, target?: { volumeId?: string; name?: string }): T.Restored;
  delete(id: string, opts?: { force?: boolean }): void;
  waitFor(id: string, status: string, timeoutS: number): T.Backup | undefined;
  update(id: string, changes: T.ResourceUpdate): T.Backup;
  setMetadata(id: string, items: MetadataInput): Array<[string, string]>;
  unsetMetadata(id: string, keys: string[]): void;
}

export interface Project {
  volumeTypes(): T.VolumeType[];
  defaultVolumeType(): T.VolumeType;
  availabilityZones(): T.AvailabilityZone[];
  limits(): Limits;
  messages(resourceId?: string): T.Message[];
}

export interface Transfers {
  create(volumeId: string, name?: string): T.TransferCreated;
  list(): T.Transfer[];
  get(id: string): T.Transfer;
  accept(id: string, authKey: string): T.Transfer;
  delete(id: string): void;
}

/** An authenticated session; the WIT interfaces are its properties. */
export declare class Session implements Disposable {
  private constructor();
  readonly volumes: Volumes;
  readonly snapshots: Snapshots;
  readonly backups: Backups;
  readonly project: Project;
  readonly transfers: Transfers;
  projectId(): string | undefined;
  blockStorageUrl(): string;
  microversion(): string;
  /** Releases the session; later calls through it throw a TypeError. */
  close(): void;
  [Symbol.dispose](): void;
}

/** Authenticates, finds the endpoints and negotiates the Cinder microversion. */
export declare function connect(config: Config): Session;

/** The WIT error cases. */
export type ErrorKind = T.Error['tag'];

/** A failed call; secrets never appear in it. */
export declare class BlockStorageError extends Error {
  constructor(kind: ErrorKind, message: string, fields?: { status?: number; requestId?: string; retryAfter?: number; failure?: T.Failure });
  readonly kind: ErrorKind;
  /** The HTTP status, for unauthorized, forbidden, not-found, bad-request, conflict, over-limit and api. */
  readonly status?: number;
  /** The server's request id, when it sent one. */
  readonly requestId?: string;
  /** Seconds to wait before retrying, from `Retry-After`. */
  readonly retryAfter?: number;
  /** For resource-failed: the resource, the error status it reached and Cinder's reason. */
  readonly failure?: T.Failure;
}
export declare class InvalidInputError extends BlockStorageError {}
export declare class UnauthorizedError extends BlockStorageError {}
export declare class ForbiddenError extends BlockStorageError {}
export declare class NotFoundError extends BlockStorageError {}
export declare class BadRequestError extends BlockStorageError {}
export declare class ConflictError extends BlockStorageError {}
export declare class OverLimitError extends BlockStorageError {}
export declare class ApiError extends BlockStorageError {}
export declare class TransportError extends BlockStorageError {}
export declare class InvalidResponseError extends BlockStorageError {}
export declare class NoEndpointError extends BlockStorageError {}
export declare class WaitTimeoutError extends BlockStorageError {}
export declare class ResourceFailedError extends BlockStorageError {}
export declare const ERROR_CLASSES: Readonly<Record<ErrorKind, typeof BlockStorageError>>;
