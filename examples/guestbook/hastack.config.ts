import { fileURLToPath } from 'node:url';
import { defineStack } from '../../src/spec/index.ts';

// Everything not set here keeps hastack's defaults: three zones, one instance per zone (up to three
// per zone), a load balancer that checks /readyz every 5 s, and target tracking on 50 % CPU.
export default defineStack({
  name: 'guestbook',
  app: {
    // The app's own folder, spelled out so configs that re-export this one start it from here too.
    start: { command: 'node', args: ['--import', 'tsx', 'src/server.ts'], cwd: fileURLToPath(new URL('.', import.meta.url)) },
    port: 8080,
  },
  // Entries' images; the app finds the bucket in BUCKET_GUESTBOOK_ATTACHMENTS (versioned by default).
  storage: { buckets: [{ name: 'guestbook-attachments' }] },
});
