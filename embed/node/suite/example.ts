// The package's types, checked by `tsc --noEmit` against the installed package.
import {
  connect, BlockStorageError, NotFoundError, type Config, type Volume, type Limits, type ErrorKind,
} from 'infomaniak-block-storage';

const config: Config = {
  authUrl: 'https://api.pub1.infomaniak.cloud/identity/v3',
  credentials: { applicationCredential: { id: 'id', secret: 'secret' } },
  region: 'dc3-a',
};

// @ts-expect-error credentials are one of three shapes, not jco's { tag, val }
const _wrong: Config = { credentials: { tag: 'token', val: 't' } };

export function describeVolume(id: string): string {
  const s = connect(config);
  try {
    const v: Volume = s.volumes.get(id);
    const q: Limits = s.project.limits();
    const used: number = q.gigabytesUsed;
    const max: number | undefined = q.maxGigabytes;
    s.volumes.delete(id, { cascade: true });
    const gone: Volume | undefined = s.volumes.waitFor(id, 'deleted', 60);
    // @ts-expect-error the size is a number
    const _size: string = v.size;
    return `${v.name ?? v.id}: ${v.size} GiB, ${used}/${max ?? 'unlimited'} GiB used, gone: ${gone === undefined}`;
  } catch (e) {
    if (e instanceof NotFoundError) return `${id}: not found (request ${e.requestId ?? '-'})`;
    if (e instanceof BlockStorageError) {
      const kind: ErrorKind = e.kind;
      return `${kind} ${e.status ?? ''} retry after ${e.retryAfter ?? 0}s`;
    }
    throw e;
  } finally {
    s.close();
  }
}
