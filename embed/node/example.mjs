// npm install @bytecodealliance/jco @bytecodealliance/preview2-shim
// npx jco transpile infomaniak_block_storage.wasm --name block-storage -o gen
import { session, volumes } from './gen/block-storage.js';

const env = process.env;
try {
  const s = session.connect({
    authUrl: env.OS_AUTH_URL,
    region: env.OS_REGION_NAME, // undefined: none
    credentials: {
      tag: 'application-credential',
      val: { id: env.OS_APPLICATION_CREDENTIAL_ID, secret: env.OS_APPLICATION_CREDENTIAL_SECRET },
    },
  });
  for (const v of volumes.list(s, { metadata: [] })) console.log(v.id, v.status, `${v.size} GiB`);
} catch (e) {
  // A WIT error arrives as a ComponentError whose payload is { tag, val }.
  console.error(e.payload ?? e); // e.g. { tag: 'unauthorized', val: { status: 401, message, requestId } }
  process.exitCode = 1;
}
