/**
 * The XML request bodies S3 operations take — CompleteMultipartUpload, Delete (DeleteObjects),
 * VersioningConfiguration, CreateBucketConfiguration — parsed with fast-xml-parser and checked as
 * S3 checks them. Bodies are size-limited (MaxMessageLengthExceeded); a DOCTYPE is refused and no
 * entity beyond XML's five and character references is ever expanded.
 */
import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from './checksums.ts';
import { parsePartNumber } from './range.ts';
import { S3Error } from './s3-error.ts';

/** Largest DeleteObjects body: 1000 keys of up to 1024 bytes, escaped, with version ids. */
export const MAX_DELETE_BODY_BYTES = 2 * 1024 * 1024;
/** Largest CompleteMultipartUpload body: 10,000 parts with ETags and checksums. */
export const MAX_COMPLETE_BODY_BYTES = 8 * 1024 * 1024;
/** Largest body of a small configuration (versioning, bucket creation). */
export const MAX_CONFIG_BODY_BYTES = 64 * 1024;
/** Most keys one DeleteObjects request may name. */
export const MAX_DELETE_OBJECTS = 1000;

const MALFORMED = 'The XML you provided was not well-formed or did not validate against our published schema';

function malformed(cause?: unknown): S3Error {
  return new S3Error('MalformedXML', MALFORMED, {}, cause === undefined ? {} : { cause });
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes XML's predefined entities and character references; refuses DTD-declared entities. */
const entityDecoder: EntityDecoderOptions = {
  setExternalEntities() {},
  addInputEntities() {
    throw new Error('document type declarations are not accepted');
  },
  reset() {},
  setXmlVersion() {},
  decode(text: string): string {
    if (!text.includes('&')) return text;
    return text.replace(/&([^&;]*)(;?)/g, (_m, name: string, semi: string) => {
      if (semi === '') throw new Error('unterminated entity reference');
      const named = XML_ENTITIES[name];
      if (named !== undefined) return named;
      const num = /^#x([0-9a-fA-F]{1,6})$/.exec(name)?.[1] ?? /^#(\d{1,7})$/.exec(name)?.[1];
      if (num === undefined) throw new Error(`undeclared entity &${name};`);
      const cp = name.startsWith('#x') ? parseInt(num, 16) : parseInt(num, 10);
      if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Error(`invalid character reference &${name};`);
      return String.fromCodePoint(cp);
    });
  },
};

const ARRAYS = new Set(['CompleteMultipartUpload.Part', 'Delete.Object']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  entityDecoder,
  isArray: (_name: string, jpath: unknown) => ARRAYS.has(String(jpath)),
});

type Node = Record<string, unknown>;

/** Checks size, decodes UTF-8, validates and parses; returns the root element's name and content. */
function parseBody(body: string | Uint8Array, limit: number): { root: string; content: unknown } | undefined {
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
  if (size > limit) {
    throw new S3Error('MaxMessageLengthExceeded', 'Your request was too big.', { MaxMessageLengthBytes: limit });
  }
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (e) {
    throw malformed(e);
  }
  text = text.replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  if (XMLValidator.validate(text) !== true) throw malformed();
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (e) {
    throw malformed(e);
  }
  const roots = Object.entries(parsed as Node).filter(([k]) => !k.startsWith('?') && k !== '#text');
  if (roots.length !== 1) throw malformed();
  const [root, content] = roots[0]!;
  return { root, content };
}

function expectRoot(parsed: { root: string; content: unknown } | undefined, root: string): Node {
  if (parsed === undefined || parsed.root !== root) throw malformed();
  const c = parsed.content;
  if (c === '' || c === undefined) return {};
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    if (typeof c === 'string' && c.trim() === '') return {};
    throw malformed();
  }
  return c as Node;
}

/** The text of a leaf element (undefined when absent); MalformedXML if it has child elements. */
function text(node: Node, name: string): string | undefined {
  const v = node[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) throw malformed();
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    if (keys.length === 0) return '';
    if (keys.length === 1 && keys[0] === '#text' && typeof (v as Node)['#text'] === 'string') return (v as Node)['#text'] as string;
  }
  throw malformed();
}

function children(node: Node, name: string): Node[] {
  const v = node[name];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((item) => {
    if (item === '') return {};
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw malformed();
    return item as Node;
  });
}

// ─── CompleteMultipartUpload ───────────────────────────────────────────────────────────────────

/** One part named in CompleteMultipartUpload. */
export interface CompletedPart {
  readonly partNumber: number;
  /** Normalized to the quoted form S3 stores (`"<hex>"`), whether the client quoted it or not. */
  readonly etag: string;
  /** Checksums the client sent for the part, by algorithm. */
  readonly checksums: Readonly<Partial<Record<ChecksumAlgorithm, string>>>;
}

/**
 * Parses a CompleteMultipartUpload body.
 *
 * @throws S3Error MalformedXML for an empty list, a part without PartNumber or ETag, or XML that
 *   is not well-formed; InvalidArgument for a part number outside 1..10000; InvalidPartOrder
 *   unless part numbers strictly ascend; MaxMessageLengthExceeded above 8 MiB.
 */
export function parseCompleteMultipartUpload(body: string | Uint8Array): CompletedPart[] {
  const root = expectRoot(parseBody(body, MAX_COMPLETE_BODY_BYTES), 'CompleteMultipartUpload');
  const parts = children(root, 'Part');
  if (parts.length === 0) throw malformed();
  const out: CompletedPart[] = [];
  let previous = 0;
  for (const part of parts) {
    const rawNumber = text(part, 'PartNumber')?.trim();
    const rawEtag = text(part, 'ETag')?.trim();
    if (rawNumber === undefined || !/^\d+$/.test(rawNumber) || rawEtag === undefined || rawEtag === '') throw malformed();
    const partNumber = parsePartNumber(String(Number(rawNumber)));
    if (partNumber <= previous) {
      throw new S3Error(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      );
    }
    previous = partNumber;
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const v = text(part, `Checksum${alg}`)?.trim();
      if (v !== undefined && v !== '') checksums[alg] = v;
    }
    out.push({ partNumber, etag: `"${rawEtag.replace(/^"+|"+$/g, '')}"`, checksums });
  }
  return out;
}

// ─── DeleteObjects ─────────────────────────────────────────────────────────────────────────────

export interface DeleteRequest {
  /** Quiet mode: the answer lists only errors. */
  readonly quiet: boolean;
  /** In request order. Keys are as sent (checkObjectKey them one by one: a bad key is an Error entry). */
  readonly objects: readonly { readonly key: string; readonly versionId?: string }[];
}

/**
 * Parses a Delete (DeleteObjects) body.
 *
 * @throws S3Error MalformedXML for no objects, more than 1000, an object without Key, a Quiet that
 *   is not true/false, or XML that is not well-formed; MaxMessageLengthExceeded above 2 MiB.
 */
export function parseDeleteRequest(body: string | Uint8Array): DeleteRequest {
  const root = expectRoot(parseBody(body, MAX_DELETE_BODY_BYTES), 'Delete');
  const quietText = text(root, 'Quiet')?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw malformed();
  const objects = children(root, 'Object');
  if (objects.length === 0 || objects.length > MAX_DELETE_OBJECTS) throw malformed();
  return {
    quiet: quietText === 'true',
    objects: objects.map((o) => {
      const key = text(o, 'Key');
      if (key === undefined) throw malformed();
      const versionId = text(o, 'VersionId')?.trim();
      return versionId === undefined || versionId === '' ? { key } : { key, versionId };
    }),
  };
}

// ─── bucket configuration ──────────────────────────────────────────────────────────────────────

/**
 * Parses a PutBucketVersioning body; `MfaDelete` is ignored.
 *
 * @throws S3Error MalformedXML unless Status is Enabled or Suspended.
 */
export function parseVersioningConfiguration(body: string | Uint8Array): 'Enabled' | 'Suspended' {
  const root = expectRoot(parseBody(body, MAX_CONFIG_BODY_BYTES), 'VersioningConfiguration');
  const status = text(root, 'Status')?.trim();
  if (status !== 'Enabled' && status !== 'Suspended') throw malformed();
  return status;
}

/**
 * Parses a CreateBucket body, which may be empty. An empty or absent LocationConstraint means
 * us-east-1.
 *
 * @throws S3Error MalformedXML for another root element or XML that is not well-formed.
 */
export function parseCreateBucketConfiguration(body: string | Uint8Array): { readonly locationConstraint?: string } {
  const parsed = parseBody(body, MAX_CONFIG_BODY_BYTES);
  if (parsed === undefined) return {};
  const root = expectRoot(parsed, 'CreateBucketConfiguration');
  const location = text(root, 'LocationConstraint')?.trim();
  return location === undefined || location === '' ? {} : { locationConstraint: location };
}
