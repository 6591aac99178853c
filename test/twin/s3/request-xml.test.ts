import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_DELETE_BODY_BYTES,
  parseCompleteMultipartUpload,
  parseCreateBucketConfiguration,
  parseDeleteRequest,
  parseVersioningConfiguration,
} from '../../../src/twin/s3/request-xml.ts';
import { s3Code } from './s3-code.ts';

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';


function complete(parts: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload ${NS}>${parts}</CompleteMultipartUpload>`;
}

describe('parseCompleteMultipartUpload', () => {
  it('GIVEN parts as the AWS SDK sends them WHEN parsed THEN numbers, quoted ETags and checksums', () => {
    const body = complete(
      '<Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>&quot;aaa&quot;</ETag><PartNumber>1</PartNumber></Part>' +
        '<Part><ETag>"bbb"</ETag><PartNumber>2</PartNumber></Part>',
    );
    assert.deepEqual(parseCompleteMultipartUpload(body), [
      { partNumber: 1, etag: '"aaa"', checksums: { CRC32: 'AAAAAA==' } },
      { partNumber: 2, etag: '"bbb"', checksums: {} },
    ]);
  });

  it('GIVEN unquoted ETags, whitespace and a Buffer body WHEN parsed THEN ETags come back quoted', () => {
    const body = Buffer.from(complete('\n  <Part>\n    <PartNumber> 7 </PartNumber>\n    <ETag> ccc </ETag>\n  </Part>\n'));
    assert.deepEqual(parseCompleteMultipartUpload(body), [{ partNumber: 7, etag: '"ccc"', checksums: {} }]);
  });

  it('GIVEN a body without a namespace WHEN parsed THEN it is accepted', () => {
    assert.equal(parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>').length, 1);
  });

  it('GIVEN 10000 parts WHEN parsed THEN all are returned in order', () => {
    let parts = '';
    for (let i = 1; i <= 10_000; i++) parts += `<Part><PartNumber>${i}</PartNumber><ETag>"e${i}"</ETag></Part>`;
    const out = parseCompleteMultipartUpload(complete(parts));
    assert.equal(out.length, 10_000);
    assert.equal(out[9_999]?.partNumber, 10_000);
  });

  const refusals: [why: string, body: string, code: string][] = [
    ['no parts', complete(''), 'MalformedXML'],
    ['an empty body', '', 'MalformedXML'],
    ['a part without ETag', complete('<Part><PartNumber>1</PartNumber></Part>'), 'MalformedXML'],
    ['a part without PartNumber', complete('<Part><ETag>x</ETag></Part>'), 'MalformedXML'],
    ['a non-numeric PartNumber', complete('<Part><PartNumber>one</PartNumber><ETag>x</ETag></Part>'), 'MalformedXML'],
    ['part number 0', complete('<Part><PartNumber>0</PartNumber><ETag>x</ETag></Part>'), 'InvalidArgument'],
    ['part number 10001', complete('<Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part>'), 'InvalidArgument'],
    ['descending parts', complete('<Part><PartNumber>2</PartNumber><ETag>x</ETag></Part><Part><PartNumber>1</PartNumber><ETag>y</ETag></Part>'), 'InvalidPartOrder'],
    ['a repeated part', complete('<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part><Part><PartNumber>1</PartNumber><ETag>y</ETag></Part>'), 'InvalidPartOrder'],
    ['another root element', '<Delete><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Delete>', 'MalformedXML'],
    ['unclosed tags', '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>', 'MalformedXML'],
    ['not XML', 'hello', 'MalformedXML'],
  ];
  for (const [why, body, code] of refusals) {
    it(`GIVEN ${why} WHEN parsed THEN ${code}`, () => {
      assert.throws(() => parseCompleteMultipartUpload(body), s3Code(code));
    });
  }
});

describe('parseDeleteRequest', () => {
  it('GIVEN keys, versions and Quiet WHEN parsed THEN objects in order, keys exactly as sent', () => {
    const body =
      `<Delete ${NS}><Quiet>true</Quiet>` +
      '<Object><Key>a.txt</Key></Object>' +
      '<Object><Key> spaced </Key><VersionId>v1</VersionId></Object>' +
      '<Object><Key>a&amp;b&lt;c&gt;&quot;&apos;</Key></Object>' +
      '<Object><Key>line&#xD;&#x0A;break&#233;</Key></Object>' +
      '<Object><Key><![CDATA[x<y&amp;]]></Key></Object>' +
      '<Object><Key>0012</Key></Object>' +
      '</Delete>';
    assert.deepEqual(parseDeleteRequest(body), {
      quiet: true,
      objects: [
        { key: 'a.txt' },
        { key: ' spaced ', versionId: 'v1' },
        { key: 'a&b<c>"\'' },
        { key: 'line\r\nbreaké' },
        { key: 'x<y&amp;' },
        { key: '0012' },
      ],
    });
  });

  it('GIVEN no Quiet element WHEN parsed THEN quiet is false', () => {
    assert.equal(parseDeleteRequest('<Delete><Object><Key>k</Key></Object></Delete>').quiet, false);
  });

  it('GIVEN 1000 objects WHEN parsed THEN accepted; 1001 THEN MalformedXML', () => {
    const objects = (n: number) => `<Delete>${'<Object><Key>k</Key></Object>'.repeat(n)}</Delete>`;
    assert.equal(parseDeleteRequest(objects(1000)).objects.length, 1000);
    assert.throws(() => parseDeleteRequest(objects(1001)), s3Code('MalformedXML'));
  });

  for (const [why, body] of [
    ['no objects', '<Delete><Quiet>false</Quiet></Delete>'],
    ['an object without Key', '<Delete><Object><VersionId>v</VersionId></Object></Delete>'],
    ['a Quiet that is not a boolean', '<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>'],
    ['a Key with child elements', '<Delete><Object><Key><A>1</A></Key></Object></Delete>'],
    ['an unterminated entity', '<Delete><Object><Key>a&amp b</Key></Object></Delete>'],
    ['an undeclared entity', '<Delete><Object><Key>&nbsp;</Key></Object></Delete>'],
    ['a NUL character reference', '<Delete><Object><Key>&#0;</Key></Object></Delete>'],
    ['invalid UTF-8', Buffer.from([...Buffer.from('<Delete><Object><Key>'), 0xff, ...Buffer.from('</Key></Object></Delete>')])],
  ] as const) {
    it(`GIVEN ${why} WHEN parsed THEN MalformedXML`, () => {
      assert.throws(() => parseDeleteRequest(body), s3Code('MalformedXML'));
    });
  }

  it('GIVEN a DTD declaring entities (an expansion bomb) WHEN parsed THEN MalformedXML and nothing expands', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE Delete [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Delete><Object><Key>&c;</Key></Object></Delete>';
    assert.throws(() => parseDeleteRequest(bomb), s3Code('MalformedXML'));
  });

  it('GIVEN a DTD naming an external entity WHEN parsed THEN MalformedXML', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&x;</Key></Object></Delete>';
    assert.throws(() => parseDeleteRequest(xxe), s3Code('MalformedXML'));
  });

  it('GIVEN a body over the limit WHEN parsed THEN MaxMessageLengthExceeded, before any parsing', () => {
    const big = `<Delete>${' '.repeat(MAX_DELETE_BODY_BYTES)}</Delete>`;
    assert.throws(() => parseDeleteRequest(big), s3Code('MaxMessageLengthExceeded'));
  });
});

describe('bucket configuration bodies', () => {
  it('GIVEN VersioningConfiguration Enabled or Suspended WHEN parsed THEN the status; MfaDelete is ignored', () => {
    assert.equal(parseVersioningConfiguration(`<VersioningConfiguration ${NS}><Status>Enabled</Status></VersioningConfiguration>`), 'Enabled');
    assert.equal(
      parseVersioningConfiguration('<VersioningConfiguration><MfaDelete>Disabled</MfaDelete><Status>Suspended</Status></VersioningConfiguration>'),
      'Suspended',
    );
  });

  for (const body of ['', '<VersioningConfiguration/>', '<VersioningConfiguration><Status>On</Status></VersioningConfiguration>', '<Versioning><Status>Enabled</Status></Versioning>']) {
    it(`GIVEN ${JSON.stringify(body)} WHEN parsed as versioning THEN MalformedXML`, () => {
      assert.throws(() => parseVersioningConfiguration(body), s3Code('MalformedXML'));
    });
  }

  it('GIVEN CreateBucketConfiguration WHEN parsed THEN the location constraint; empty or absent means us-east-1', () => {
    assert.deepEqual(
      parseCreateBucketConfiguration(`<CreateBucketConfiguration ${NS}><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`),
      { locationConstraint: 'eu-west-1' },
    );
    assert.deepEqual(parseCreateBucketConfiguration(''), {});
    assert.deepEqual(parseCreateBucketConfiguration(Buffer.alloc(0)), {});
    assert.deepEqual(parseCreateBucketConfiguration('<CreateBucketConfiguration/>'), {});
    assert.deepEqual(parseCreateBucketConfiguration('<CreateBucketConfiguration><LocationConstraint></LocationConstraint></CreateBucketConfiguration>'), {});
  });

  it('GIVEN another root or broken XML WHEN parsed as CreateBucketConfiguration THEN MalformedXML', () => {
    assert.throws(() => parseCreateBucketConfiguration('<Other/>'), s3Code('MalformedXML'));
    assert.throws(() => parseCreateBucketConfiguration('<CreateBucketConfiguration>'), s3Code('MalformedXML'));
  });
});
