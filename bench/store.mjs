// The digest the bench's stores take, in its own process and in `bench/first-load.mjs`: a record written by one is
// read back by the other only if both take the same.
import { createHash } from 'node:crypto';

export function benchDigester() {
  const hash = createHash('sha256').update('bench\0');
  return { update: (piece) => void hash.update(piece), updateBytes: (chunk) => void hash.update(chunk), digest: () => hash.digest('base64url') };
}
