// npm install @bytecodealliance/jco @bytecodealliance/preview2-shim
// npx jco transpile infomaniak_block_storage.wasm --name block-storage -o gen
// node example.mjs [<volume-id> <new-name>]: given a volume, also renames and tags it
import { session, volumes, project } from './gen/block-storage.js';

const env = process.env;
const [volumeId, newName] = process.argv.slice(2);
try {
  const s = session.connect({
    authUrl: env.OS_AUTH_URL,
    region: env.OS_REGION_NAME, // undefined: none
    credentials: {
      tag: 'application-credential',
      val: { id: env.OS_APPLICATION_CREDENTIAL_ID, secret: env.OS_APPLICATION_CREDENTIAL_SECRET },
    },
  });
  const q = project.limits(s); // u64 fields are BigInts; a maximum left undefined is unlimited
  console.log(`volumes ${q.volumesUsed}/${q.maxVolumes ?? 'unlimited'}, GiB ${q.gigabytesUsed}/${q.maxGigabytes ?? 'unlimited'}`);
  // The 5 newest volumes: one request, however many there are.
  for (const v of volumes.list(s, { limit: 5, sort: 'created_at:desc', metadata: [] })) {
    console.log(v.id, v.status, `${v.size} GiB`, v.name ?? '-');
  }
  if (volumeId) {
    const v = volumes.update(s, volumeId, { name: newName }); // the description is left as it is
    const metadata = volumes.setMetadata(s, volumeId, [['renamed-by', 'example.mjs']]); // all of it, sorted by key
    console.log(`${v.id} is now ${v.name}:`, metadata.map(([k, val]) => `${k}=${val}`).join(' '));
  }
} catch (e) {
  // A WIT error arrives as a ComponentError whose payload is { tag, val }.
  console.error(e.payload ?? e); // e.g. { tag: 'unauthorized', val: { status: 401, message, requestId } }
  process.exitCode = 1;
}
