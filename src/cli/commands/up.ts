import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpec } from '../../spec/index.ts';
import { twinError } from '../../twin/control/errors.ts';
import { startTwin, type Twin } from '../../twin/region.ts';
import { ensureStateDir, pidAlive, readLiveCard, stateDirFor } from '../../twin/state-dir.ts';
import { allInServiceAndHealthy, type TwinStatus } from '../../twin/status.ts';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USER, type CliIo } from '../io.ts';
import { configPath, controlClient } from '../connect.ts';
import type { ParsedArgs } from '../main.ts';
import { renderStatus } from '../render-status.ts';
import { logTail } from '../../util/log-tail.ts';

const BIN = fileURLToPath(new URL('../../../bin/hastack.js', import.meta.url));
const READY_TIMEOUT_MS = 120_000;

/** `--fidelity fast|aws`, checked before anything starts. */
function fidelityFlag(args: ParsedArgs): 'fast' | 'aws' | undefined {
  const v = args.values['fidelity'];
  if (v === undefined) return undefined;
  if (v !== 'fast' && v !== 'aws') throw twinError('HASTACK_CONTROL_BAD_REQUEST', `--fidelity: received ${JSON.stringify(v)}, expected fast or aws`);
  return v;
}

function summary(s: TwinStatus) {
  return {
    endpoint: s.endpoint,
    httpsEndpoint: s.httpsEndpoint,
    controlApi: s.controlApi,
    stateDir: s.stateDir,
    pid: s.pid,
    zones: Object.fromEntries(s.zones.map((z) => [z.name, z.instances.map((i) => ({ id: i.id, pid: i.pid, port: i.port, lifecycle: i.lifecycle, target: i.target }))])),
    database: s.database?.endpoint,
    databaseReader: s.database?.readerEndpoint,
    s3: s.storage?.endpoint,
    buckets: s.storage?.buckets,
  };
}

function printReady(s: TwinStatus, io: CliIo, json: boolean): void {
  if (json) {
    io.out(JSON.stringify(summary(s), null, 2));
    return;
  }
  io.out(`${s.name} is up in ${s.region}:`);
  io.out(`  app          ${s.endpoint}`);
  if (s.httpsEndpoint) io.out(`  app (https)  ${s.httpsEndpoint}`);
  io.out(`  control API  ${s.controlApi}`);
  if (s.database) io.out(`  database     ${s.database.endpoint} (writer, ${s.database.deployment})${s.database.readerEndpoint ? `, ${s.database.readerEndpoint} (reader)` : ''}`);
  if (s.storage) io.out(`  s3           ${s.storage.endpoint} (buckets: ${s.storage.buckets.join(', ') || 'none'}; credentials: eval "$(npx hastack env)")`);
  io.out(`  state        ${s.stateDir}`);
  for (const z of s.zones) io.out(`  ${z.name}    ${z.instances.map((i) => i.id).join(', ') || '(none)'}`);
}

/** `up --detach`: start a supervisor in the background and return once it is healthy. */
async function detach(args: ParsedArgs, io: CliIo): Promise<number> {
  const file = configPath(args);
  const spec = await loadSpec(file); // fail fast, in the foreground, on a bad config
  const dir = stateDirFor(spec.configDir);
  ensureStateDir(dir);
  const live = readLiveCard(dir);
  if (live !== undefined) throw twinError('HASTACK_TWIN_ALREADY_RUNNING', `a twin of ${live.name} is already running (pid ${live.pid}, ${live.endpoint}); run \`hastack down\` first`);
  const logFile = path.join(dir, 'up.log');
  const fd = openSync(logFile, 'w');
  const fidelity = fidelityFlag(args);
  const child = spawn(process.execPath, [BIN, 'up', '--config', file, ...(fidelity === undefined ? [] : ['--fidelity', fidelity]), ...(args.values['storage'] === true ? ['--storage'] : [])], { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, HASTACK_DETACHED: '1' } });
  closeSync(fd);
  child.unref();
  child.on('error', () => {}); // a failed spawn shows up as a dead pid below
  const leave = () => {
    io.err(`\nstopped waiting; the twin keeps starting in the background (pid ${child.pid ?? '?'}): \`hastack status\` shows it, \`hastack down\` stops it`);
    process.exit(EXIT_USER);
  };
  process.once('SIGINT', leave);
  io.err(`starting the twin in the background (pid ${child.pid ?? '?'}, output in ${logFile})…`);
  try {
    return await waitForSupervisor(child, dir, logFile, io, args.values['json'] === true);
  } finally {
    process.off('SIGINT', leave);
  }
}

/** Polls the detached supervisor until it is healthy, dies, or the wait times out. */
async function waitForSupervisor(child: ChildProcess, dir: string, logFile: string, io: CliIo, json: boolean): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.pid === undefined || !pidAlive(child.pid)) {
      const tail = await logTail(logFile, 20);
      io.err(tail);
      // The supervisor says why it stopped; a user error there (a port in use) is a user error here.
      const userError = / \[HASTACK_[A-Z_]+\]/.test(tail) && !/\[HASTACK_(INTERNAL|TWIN_START_FAILED)\]/.test(tail);
      if (userError) return EXIT_USER;
      throw twinError('HASTACK_TWIN_START_FAILED', `the twin's supervisor exited during startup; its output is in ${logFile}`);
    }
    const card = readLiveCard(dir);
    if (card !== undefined && card.pid === child.pid) {
      const status = await controlClient(dir, card).call<TwinStatus>('GET', '/status').catch(() => undefined);
      if (status !== undefined && allInServiceAndHealthy(status.zones.flatMap((z) => z.instances), status.capacity.desired)) {
        printReady(status, io, json);
        return EXIT_OK;
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  io.err(`not healthy after ${READY_TIMEOUT_MS / 1000} s; the twin keeps trying in the background (pid ${child.pid}); \`hastack status\` shows it, \`hastack down\` stops it`);
  return EXIT_INTERNAL;
}

/** `up` in the foreground: live status until Ctrl-C, then an orderly stop. */
async function foreground(args: ParsedArgs, io: CliIo): Promise<number> {
  const json = args.values['json'] === true;
  const live = io.isTTY && !json && process.env['HASTACK_DETACHED'] !== '1';
  let twin: Twin | undefined;
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) {
      io.err('second signal: exiting now; the reaper stops what is left');
      process.exit(EXIT_INTERNAL);
    }
    stopping = true;
    io.err(`${sig}: stopping (draining targets first; press Ctrl-C again to force)…`);
    void twin?.close().catch(() => undefined);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => {
    const h = () => onSignal(s);
    process.on(s, h);
    return [s, h] as const;
  });
  try {
    io.err('starting the twin…');
    const fidelity = fidelityFlag(args);
    twin = await startTwin({
      configFile: configPath(args),
      ...(fidelity === undefined ? {} : { fidelity }),
      ...(args.values['storage'] === true ? { storage: true } : {}),
      onEvent: (e) => {
        if (!live) io.err(`${new Date(e.at).toISOString()} ${e.source}: ${e.message}`);
      },
    });
    if (stopping) void twin.close().catch(() => undefined);
    const healthy = await Promise.race([
      twin.waitUntilHealthy(READY_TIMEOUT_MS).then(
        () => true,
        (e: Error) => {
          io.err(`${e.message}; still running, still trying`);
          return false;
        },
      ),
      twin.closed.then(() => false),
    ]);
    if (!stopping && healthy) printReady(twin.status(), io, json);
    let screen: NodeJS.Timeout | undefined;
    if (live) {
      const t = twin;
      screen = setInterval(() => {
        const width = process.stderr.columns ?? 120;
        const s = t.status();
        process.stderr.write('\x1b[H\x1b[2J');
        const lines = [`open ${s.endpoint} — Ctrl-C stops the twin`, '', ...renderStatus(s)];
        for (const l of lines) io.err(l.length > width ? `${l.slice(0, width - 1)}…` : l);
      }, 1000);
    }
    await twin.closed;
    if (screen) clearInterval(screen);
    io.err('stopped');
    return EXIT_OK;
  } catch (e) {
    await twin?.close();
    throw e;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}

export async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  return args.values['detach'] === true ? detach(args, io) : foreground(args, io);
}
