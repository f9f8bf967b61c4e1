// npm install infomaniak-block-storage-0.2.0.tgz (built by embed/run.sh; `npm pack` in embed/node)
// node example.mjs [<volume-id> <new-name>]: given a volume, also renames and tags it
import { connect, BlockStorageError } from 'infomaniak-block-storage';

const env = process.env;
const [volumeId, newName] = process.argv.slice(2);
try {
  const s = connect({
    authUrl: env.OS_AUTH_URL,
    region: env.OS_REGION_NAME, // undefined: the first region of the catalog
    credentials: {
      applicationCredential: { id: env.OS_APPLICATION_CREDENTIAL_ID, secret: env.OS_APPLICATION_CREDENTIAL_SECRET },
    },
  });
  const q = s.project.limits(); // a maximum left undefined is unlimited
  console.log(`volumes ${q.volumesUsed}/${q.maxVolumes ?? 'unlimited'}, GiB ${q.gigabytesUsed}/${q.maxGigabytes ?? 'unlimited'}`);
  // The 5 newest volumes: one request, however many there are.
  for (const v of s.volumes.list({ limit: 5, sort: 'created_at:desc' })) {
    console.log(v.id, v.status, `${v.size} GiB`, v.name ?? '-');
  }
  if (volumeId) {
    const v = s.volumes.update(volumeId, { name: newName }); // the description is left as it is
    const metadata = s.volumes.setMetadata(volumeId, { 'renamed-by': 'example.mjs' }); // all of it, sorted by key
    console.log(`${v.id} is now ${v.name}:`, metadata.map(([k, val]) => `${k}=${val}`).join(' '));
  }
  s.close();
} catch (e) {
  if (!(e instanceof BlockStorageError)) throw e;
  // e.g. "UnauthorizedError (unauthorized, status 401, request req-...): The request you have made requires authentication."
  console.error(`${e.name} (${e.kind}, status ${e.status ?? '-'}, request ${e.requestId ?? '-'}): ${e.message}`);
  process.exitCode = 1;
}
