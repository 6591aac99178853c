import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSpec } from '../../src/spec/index.ts';
import type { StackConfig } from '../../src/spec/types.ts';
import { startTwin, type Twin, type TwinOptions } from '../../src/twin/region.ts';
import type { TwinEvent } from '../../src/twin/events.ts';
import { removeStateDir } from './state-dir.ts';

export const GUESTBOOK_DIR = fileURLToPath(new URL('../../examples/guestbook/', import.meta.url));

type Overrides = Partial<Omit<StackConfig, 'name' | 'app'>> & { app?: Partial<StackConfig['app']> };

/** The guestbook's stack with test-friendly overrides, resolved against its own folder. */
export function guestbookSpec(over: Overrides = {}) {
  return resolveSpec(
    {
      name: 'guestbook',
      ...over,
      app: { start: { command: 'node', args: ['--import', 'tsx', 'src/server.ts'] }, stopTimeout: 5, ...(over.app ?? {}) },
      twin: { httpPort: 0, httpsPort: 0, ...(over.twin ?? {}) },
    },
    { configDir: GUESTBOOK_DIR },
  );
}

export interface TestTwin {
  readonly twin: Twin;
  readonly events: TwinEvent[];
  close(): Promise<void>;
}

/** Starts a twin in a temporary state folder and waits until every target is healthy. */
export async function startTestTwin(over: Overrides = {}, opts: Omit<TwinOptions, 'spec' | 'stateDir'> = {}): Promise<TestTwin> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hastack-test-'));
  chmodSync(stateDir, 0o711); // as `.hastack/` is: PostgreSQL, run unprivileged under root, passes through
  const events: TwinEvent[] = [];
  let twin: Twin;
  try {
    twin = await startTwin({ spec: guestbookSpec(over), stateDir, onEvent: (e) => events.push(e), ...opts });
  } catch (e) {
    removeStateDir(stateDir);
    throw e;
  }
  const close = async () => {
    await twin.close();
    removeStateDir(stateDir);
  };
  try {
    await twin.waitUntilHealthy(90_000);
  } catch (e) {
    await close();
    throw e;
  }
  return { twin, events, close };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
