// Trunk post-build hook: put the SHA-256 of each inline <script> (Trunk's wasm loader) into the
// Content-Security-Policy meta tag, so the policy needs no 'unsafe-inline'.
import { readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const file = join(process.env.TRUNK_STAGING_DIR ?? 'dist', 'index.html');
const html = await readFile(file, 'utf8');
const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
  .map(([, body]) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
if (!html.includes('INLINE_SCRIPT_HASHES')) throw new Error(`${file}: no INLINE_SCRIPT_HASHES placeholder`);
await writeFile(file, html.replace('INLINE_SCRIPT_HASHES', hashes.join(' ')));
console.log(`csp: ${hashes.length} inline script hash(es) in ${file}`);
