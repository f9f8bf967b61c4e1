// Starts the mock cloud (`mock-cloud` binary) as a separate process and reads the JSON
// line it prints. It must not run on the test's own thread: jco's synchronous WASI shim
// blocks this thread during every component call, so an in-process server would never
// answer.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
// The suite runs from a copy in an empty project: run.sh sets REPO_ROOT and MOCK_CLOUD_BIN.
export const ROOT = process.env.REPO_ROOT ?? path.resolve(here, '../../../..');
const TARGET = process.env.EMBED_TARGET_DIR ?? path.join(ROOT, 'target/embed');
export const MOCK_BIN = process.env.MOCK_CLOUD_BIN ?? path.join(TARGET, 'release/mock-cloud');

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `mock-cloud ...args`; resolves to { info, stop() } once it has printed its line. */
export async function startMock(args = []) {
  const child = spawn(MOCK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (l) => {
      lines.close();
      resolve(l);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mock-cloud exited with ${code}: ${stderr.trim()}`)));
  });
  const info = JSON.parse(line);
  return {
    info,
    /** Kills the mock and waits until it is gone (its port then refuses connections). */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      running.delete(child);
    },
  };
}
