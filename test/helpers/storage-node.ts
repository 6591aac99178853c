import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { NodeClient, type NodeClientOptions } from '../../src/twin/storage/node-client.ts';
import { startStorageNode, type StorageNodeProcess } from '../../src/twin/storage/node/launch.ts';

export interface NodeHarness {
  /** The temporary folder: `data/`, `token`, `node.log`. */
  readonly root: string;
  readonly dataDir: string;
  readonly tokenFile: string;
  readonly token: string;
  /** A node started otherwise, stopped after the suite unless it exited. */
  adopt(node: StorageNodeProcess): void;
  /** A client of a node with this harness's token, closed after the suite. */
  client(url: string, opts?: Partial<NodeClientOptions>): NodeClient;
  /** Starts a node process on `dir` (the data folder by default) and a client for it; both are stopped after the suite. */
  start(dir?: string): Promise<{ node: StorageNodeProcess; client: NodeClient }>;
}

/** One storage node's folder and token for a describe(): created before its tests, everything removed after. */
export function storageNodeHarness(prefix: string, zone: string): NodeHarness {
  let root = '';
  const token = randomBytes(24).toString('base64url');
  const running = new Set<StorageNodeProcess>();
  const clients: NodeClient[] = [];
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), prefix));
    await writeFile(path.join(root, 'token'), token, { mode: 0o600 });
  });
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all([...running].map((n) => n.stop()));
    await rm(root, { recursive: true, force: true });
  });
  const adopt = (node: StorageNodeProcess): void => {
    running.add(node);
    void node.exited.then(() => running.delete(node));
  };
  const client = (url: string, opts: Partial<NodeClientOptions> = {}): NodeClient => {
    const c = new NodeClient({ url, token, zone, ...opts });
    clients.push(c);
    return c;
  };
  return {
    adopt,
    client,
    get root() {
      return root;
    },
    get dataDir() {
      return path.join(root, 'data');
    },
    get tokenFile() {
      return path.join(root, 'token');
    },
    token,
    async start(dir = path.join(root, 'data')) {
      const node = await startStorageNode({ dataDir: dir, zone, tokenFile: path.join(root, 'token'), logFile: path.join(root, 'node.log') });
      adopt(node);
      return { node, client: client(node.url) };
    },
  };
}
