/**
 * What the S3 client tests share: finding a client binary on PATH, running it with a time limit
 * (every child is killed when the test ends), the files they copy (a small one, one large enough to
 * go multipart, a folder with a subfolder to sync) and comparing folders by SHA-256.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Size of the file that must cross every client's multipart threshold. */
export const LARGE_BYTES = 20 * 1024 * 1024;

/** The whole test's limit: a store, 20 MiB up and down, a sync both ways, on a loaded 2-core machine. */
export const TEST_TIMEOUT_MS = 240_000;

/** Why a client test is skipped, or false when its binary is on PATH. */
export function skipUnlessOnPath(binary: string, debianPackage: string): string | false {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return false;
    } catch {
      // not in this folder
    }
  }
  return `${binary} is not on PATH; install it with: apt-get install ${debianPackage}`;
}

/**
 * The environment a client runs with: the caller's, minus every AWS_* variable (the user's
 * profile, CA bundle or keys must not leak in), plus `extra`.
 */
export function clientEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
  return { ...env, ...extra };
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs client commands; each gets a time limit, and whatever still runs when the test ends is killed. */
export class ClientRunner {
  private readonly children = new Set<ChildProcess>();

  constructor(
    private readonly binary: string,
    private readonly env: Record<string, string>,
    private readonly cwd: string,
  ) {}

  /** Runs `binary args…`; rejects with its output when it fails or outlives `timeoutMs`. */
  run(args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
    const child = spawn(this.binary, args, { cwd: this.cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    return new Promise((resolve, reject) => {
      child.once('error', (e) => {
        clearTimeout(timer);
        this.children.delete(child);
        reject(e);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.children.delete(child);
        const cmd = `${this.binary} ${args.join(' ')}`;
        if (timedOut) reject(new Error(`${cmd} still ran after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        else if (code !== 0) reject(new Error(`${cmd} exited with ${code ?? signal}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        else resolve({ stdout, stderr });
      });
    });
  }

  killAll(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
  }
}

/** A temp folder removed when the test ends. */
export async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o700);
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface Fixtures {
  /** Holds small.bin and large.bin. */
  readonly files: string;
  /** A folder to sync: a few files, one in a subfolder. */
  readonly tree: string;
}

/** Random files under `dir`: files/{small.bin,large.bin} and tree/ (with tree/sub/). */
export async function makeFixtures(dir: string): Promise<Fixtures> {
  const files = path.join(dir, 'files');
  const tree = path.join(dir, 'tree');
  await mkdir(files, { recursive: true });
  await mkdir(path.join(tree, 'sub'), { recursive: true });
  await writeFile(path.join(files, 'small.bin'), randomBytes(1500));
  await writeFile(path.join(files, 'large.bin'), randomBytes(LARGE_BYTES));
  await writeFile(path.join(tree, 'a.txt'), 'alpha\n');
  await writeFile(path.join(tree, 'b.bin'), randomBytes(70_000));
  await writeFile(path.join(tree, 'sub', 'c.txt'), 'charlie\n');
  await writeFile(path.join(tree, 'sub', 'd.bin'), randomBytes(3000));
  return { files, tree };
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** relative path → SHA-256 of every file under `dir`. */
export async function treeDigest(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)));
  files.sort();
  return new Map(await Promise.all(files.map(async (f): Promise<[string, string]> => [f, await sha256File(path.join(dir, f))])));
}

/** Asserts both folders hold the same files with the same SHA-256 (and nothing else). */
export async function assertSameTree(actual: string, expected: string): Promise<void> {
  assert.deepEqual(Object.fromEntries(await treeDigest(actual)), Object.fromEntries(await treeDigest(expected)));
}

/** Asserts both files have the same SHA-256. */
export async function assertSameFile(actual: string, expected: string): Promise<void> {
  assert.equal(await sha256File(actual), await sha256File(expected), `${actual} differs from ${expected}`);
}

/** Asserts the store holds `key` as a multipart object (its ETag ends in -<parts>) of `size` bytes. */
export async function assertMultipart(s3: S3Client, bucket: string, key: string, size: number): Promise<void> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  assert.equal(head.ContentLength, size);
  assert.match(head.ETag ?? '', /-\d+"$/, `${key} was not uploaded in parts (ETag ${head.ETag})`);
}

/** Asserts the bucket holds no object. */
export async function assertEmptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual((list.Contents ?? []).map((o) => o.Key), []);
}

/** Asserts the bucket is gone. */
export async function assertNoBucket(s3: S3Client, bucket: string): Promise<void> {
  await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: bucket })), (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode === 404);
}
