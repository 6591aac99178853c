import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { closeServer, listenOnLoopback } from '../../util/loopback-server.ts';

/**
 * An IMDSv2-compatible metadata endpoint for one instance. On EC2 every instance sees its own
 * metadata at a link-local address; here each instance gets its own loopback listener, handed to
 * the app as AWS_EC2_METADATA_SERVICE_ENDPOINT so SDKs and plain HTTP both find it.
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
 */
export interface InstanceMetadata {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly region: string;
  readonly instanceType: string;
  readonly localIpv4: string;
  readonly amiId: string;
  readonly launchedAt: number;
}

/** Metadata of a twin instance: every one is a t3.micro on loopback, in its zone. */
export function twinInstanceMetadata(instanceId: string, availabilityZone: string, region: string, launchedAt: number): InstanceMetadata {
  return { instanceId, availabilityZone, region, instanceType: 't3.micro', localIpv4: '127.0.0.1', amiId: 'ami-00000000000000000', launchedAt };
}

const MAX_TTL = 21600;

export class ImdsServer {
  private readonly server: http.Server;
  private readonly tokens = new Map<string, number>();
  private port = 0;

  constructor(private readonly meta: InstanceMetadata, private readonly now: () => number = Date.now) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
  }

  async start(): Promise<string> {
    this.port = await listenOnLoopback(this.server);
    return this.endpoint;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  private paths(): Record<string, string> {
    const m = this.meta;
    return {
      'instance-id': m.instanceId,
      'placement/availability-zone': m.availabilityZone,
      'placement/region': m.region,
      'instance-type': m.instanceType,
      'local-ipv4': m.localIpv4,
      'ami-id': m.amiId,
      hostname: `ip-${m.localIpv4.replace(/\./g, '-')}.${m.region}.compute.internal`,
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(body);
    };
    if (url === '/latest/api/token') {
      if (req.method !== 'PUT') return send(405, 'Method Not Allowed');
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) return send(400, 'Bad Request');
      const token = randomBytes(24).toString('base64url');
      this.tokens.set(token, this.now() + ttl * 1000);
      return send(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method Not Allowed');
    // IMDSv2 required (as the AWS launch template sets HttpTokens=required): no token, no data.
    const token = req.headers['x-aws-ec2-metadata-token'];
    const exp = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (exp === undefined || exp < this.now()) return send(401, 'Unauthorized');
    const prefix = '/latest/meta-data/';
    if (!url.startsWith(prefix) && url !== '/latest/meta-data') return send(404, 'Not Found');
    const key = url.slice(prefix.length).replace(/\/$/, '');
    const all = this.paths();
    if (key === '') return send(200, [...new Set(Object.keys(all).map((k) => (k.includes('/') ? `${k.split('/')[0]}/` : k)))].join('\n'));
    if (key === 'placement') return send(200, 'availability-zone\nregion');
    const v = all[key];
    return v === undefined ? send(404, 'Not Found') : send(200, v);
  }
}
