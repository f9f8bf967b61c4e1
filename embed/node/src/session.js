// A session and the WIT interfaces as its properties: `s.volumes.get(id)` calls
// `volumes.get(s, id)` of the component, with optional arguments defaulted and errors
// thrown as BlockStorageError.
import * as wit from '../gen/block-storage.js';
import { guard } from './errors.js';
import { limitsAsNumbers, pairs, u32, witConfig, withMetadata } from './config.js';

/** Calls of one WIT interface, bound to a session handle. */
class Bound {
  #handle;
  constructor(handle) {
    this.#handle = handle;
  }
  call(fn, ...args) {
    return guard(() => fn(this.#handle, ...args));
  }
}

class Volumes extends Bound {
  list(opts) { return this.call(wit.volumes.list, withMetadata(opts)); }
  get(id) { return this.call(wit.volumes.get, id); }
  create(spec) { return this.call(wit.volumes.create, withMetadata(spec)); }
  delete(id, { force = false, cascade = false } = {}) { return this.call(wit.volumes.delete, id, force, cascade); }
  extend(id, newSize) { return this.call(wit.volumes.extend, id, u32('new-size', newSize)); }
  attach(id, serverId, device) { return this.call(wit.volumes.attach, id, serverId, device); }
  detach(id, serverId) { return this.call(wit.volumes.detach, id, serverId); }
  waitFor(id, status, timeoutS) { return this.call(wit.volumes.waitFor, id, status, u32('timeout-s', timeoutS)); }
  update(id, changes) { return this.call(wit.volumes.update, id, changes); }
  setMetadata(id, items) { return this.call(wit.volumes.setMetadata, id, pairs(items)); }
  unsetMetadata(id, keys) { return this.call(wit.volumes.unsetMetadata, id, keys); }
  setBootable(id, bootable) { return this.call(wit.volumes.setBootable, id, bootable); }
  setReadOnly(id, readOnly) { return this.call(wit.volumes.setReadOnly, id, readOnly); }
  retype(id, volumeType, { migrate = false } = {}) { return this.call(wit.volumes.retype, id, volumeType, migrate); }
  revertToSnapshot(id, snapshotId) { return this.call(wit.volumes.revertToSnapshot, id, snapshotId); }
  uploadToImage(id, spec) { return this.call(wit.volumes.uploadToImage, id, spec); }
}

class Snapshots extends Bound {
  list(opts) { return this.call(wit.snapshots.list, withMetadata(opts)); }
  get(id) { return this.call(wit.snapshots.get, id); }
  create(spec) { return this.call(wit.snapshots.create, withMetadata(spec)); }
  delete(id, { force = false } = {}) { return this.call(wit.snapshots.delete, id, force); }
  waitFor(id, status, timeoutS) { return this.call(wit.snapshots.waitFor, id, status, u32('timeout-s', timeoutS)); }
  update(id, changes) { return this.call(wit.snapshots.update, id, changes); }
  setMetadata(id, items) { return this.call(wit.snapshots.setMetadata, id, pairs(items)); }
  unsetMetadata(id, keys) { return this.call(wit.snapshots.unsetMetadata, id, keys); }
}

class Backups extends Bound {
  list(opts) { return this.call(wit.backups.list, withMetadata(opts)); }
  get(id) { return this.call(wit.backups.get, id); }
  create(spec) { return this.call(wit.backups.create, withMetadata(spec)); }
  restore(id, { volumeId, name } = {}) { return this.call(wit.backups.restore, id, volumeId, name); }
  delete(id, { force = false } = {}) { return this.call(wit.backups.delete, id, force); }
  waitFor(id, status, timeoutS) { return this.call(wit.backups.waitFor, id, status, u32('timeout-s', timeoutS)); }
  update(id, changes) { return this.call(wit.backups.update, id, changes); }
  setMetadata(id, items) { return this.call(wit.backups.setMetadata, id, pairs(items)); }
  unsetMetadata(id, keys) { return this.call(wit.backups.unsetMetadata, id, keys); }
}

class Project extends Bound {
  volumeTypes() { return this.call(wit.project.volumeTypes); }
  defaultVolumeType() { return this.call(wit.project.defaultVolumeType); }
  availabilityZones() { return this.call(wit.project.availabilityZones); }
  limits() { return limitsAsNumbers(this.call(wit.project.limits)); }
  messages(resourceId) { return this.call(wit.project.messages, resourceId); }
}

class Transfers extends Bound {
  create(volumeId, name) { return this.call(wit.transfers.create, volumeId, name); }
  list() { return this.call(wit.transfers.list); }
  get(id) { return this.call(wit.transfers.get, id); }
  accept(id, authKey) { return this.call(wit.transfers.accept, id, authKey); }
  delete(id) { return this.call(wit.transfers.delete, id); }
}

/** An authenticated session (WIT `session`); `close()` or `using` releases it. */
export class Session {
  #handle;
  /** @internal Use `connect`. */
  constructor(handle) {
    this.#handle = handle;
    this.volumes = new Volumes(handle);
    this.snapshots = new Snapshots(handle);
    this.backups = new Backups(handle);
    this.project = new Project(handle);
    this.transfers = new Transfers(handle);
    Object.freeze(this);
  }
  projectId() { return this.#handle.projectId(); }
  blockStorageUrl() { return this.#handle.blockStorageUrl(); }
  microversion() { return this.#handle.microversion(); }
  close() { this.#handle[Symbol.dispose](); }
  [Symbol.dispose]() { this.close(); }
}

/** Authenticates, finds the endpoints and negotiates the microversion (WIT `connect`). */
export function connect(config) {
  return new Session(guard(() => wit.session.connect(witConfig(config))));
}
