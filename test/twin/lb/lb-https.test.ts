import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { selfSignedCert } from '../../../src/twin/lb/index.ts';
import { Backend, lbConfig, rawExchange, startLb, waitFor, type Harness } from './helpers.ts';

function httpsGet(port: number, ca: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', servername: 'localhost', port, path, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('self-signed certificate', () => {
  it('GIVEN a generated certificate WHEN read THEN it names localhost, 127.0.0.1 and ::1 and is self-signed', () => {
    const { cert, key } = selfSignedCert();
    const x = new X509Certificate(cert);
    assert.match(x.subjectAltName ?? '', /DNS:localhost/);
    assert.match(x.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.ok(x.checkIssued(x));
    assert.ok(x.verify(x.publicKey));
    assert.ok(x.checkPrivateKey(createPrivateKey(key)));
    assert.ok(new Date(x.validTo).getTime() > Date.now() + 300 * 86_400_000);
  });

  it('GIVEN openssl on PATH WHEN it verifies the certificate against itself THEN it is accepted', (t) => {
    const { cert } = selfSignedCert();
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      t.skip('openssl not installed');
      return;
    }
    const out = execFileSync('openssl', ['x509', '-noout', '-subject', '-ext', 'subjectAltName'], { input: cert }).toString();
    assert.match(out, /CN\s*=\s*localhost/);
  });
});

describe('load balancer over HTTPS', () => {
  const open: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const o of open.reverse()) await o.close();
  });

  it('GIVEN https on WHEN started without a certificate THEN it serves HTTPS with a self-signed one and HTTP redirects there with 301', async () => {
    const b = await new Backend('a', (req, res) => res.end(String(req.headers['x-forwarded-proto']))).start();
    open.push({ close: () => b.kill() });
    const h: Harness = await startLb(lbConfig({ https: true }), { httpsPort: 0 });
    open.push(h.lb);
    assert.ok(h.httpsPort !== undefined && h.httpsPort > 0);
    assert.equal(h.url, `https://127.0.0.1:${h.httpsPort}`);
    h.lb.registerTarget(b.ref());
    await waitFor('healthy', () => h.lb.isHealthy(b.ref().id) === true);

    const r = await httpsGet(h.httpsPort!, h.lb.certificate!);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'https');

    const { text } = await rawExchange(h.port, 'GET /path?q=1 HTTP/1.1\r\nHost: localhost:1234\r\nConnection: close\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 301 Moved Permanently\r\n/);
    assert.match(text, new RegExp(`\\r\\nLocation: https://localhost:${h.httpsPort}/path\\?q=1\\r\\n`));
    assert.equal(b.hits, 1, 'the redirect did not reach the target');
  });
});
