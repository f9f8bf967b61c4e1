// The fenced code blocks of one README section, for the check that the README shows the
// example files verbatim.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './mock.mjs';

/** [{ lang, code }] of the blocks between `heading` and the next heading (outside fences). */
export function readmeBlocks(heading, file = path.join(ROOT, 'README.md')) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no line "${heading}"`);
  const blocks = [];
  let current = null;
  for (const line of lines.slice(start + 1)) {
    if (current) {
      if (line === '```') {
        blocks.push({ lang: current.lang, code: current.lines.join('\n') + '\n' });
        current = null;
      } else current.lines.push(line);
    } else if (line.startsWith('```')) current = { lang: line.slice(3).trim(), lines: [] };
    else if (/^#{1,3} /.test(line)) break;
  }
  return blocks;
}
