/**
 * The bucket that holds entries' images, through the AWS SDK. The SDK finds S3 the standard way:
 * AWS_ENDPOINT_URL_S3 (set on the twin, absent on AWS), the credentials in AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY or else the instance role, the region in AWS_REGION. Path-style addressing
 * is used only with an endpoint of its own (the twin's, on 127.0.0.1), never against AWS.
 * Requests are retried by storage-retry.ts, not by the SDK, so tries do not multiply.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { attachmentKey } from './attachment-key.ts';
import type { ImageType } from './image-type.ts';
import { withStorageRetry, type StorageRetryOptions } from './storage-retry.ts';

export interface S3ClientOptions {
  /** True when AWS_ENDPOINT_URL_S3 is set: a local endpoint has no bucket host names. */
  readonly forcePathStyle: boolean;
  /** Only when AWS_REGION is not set; undefined leaves it to the SDK. */
  readonly region?: string | undefined;
}

/** An S3 client with short timeouts and no retries of its own. */
export function createS3Client(o: S3ClientOptions): S3Client {
  return new S3Client({
    ...(o.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(o.region === undefined ? {} : { region: o.region }),
    maxAttempts: 1,
    // A store that does not answer should fail a request fast, as the database pool does.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 },
  });
}

/**
 * The region of an availability zone (`us-east-1a` → `us-east-1`, `local-1b` → `local-1`): where
 * AWS_REGION is not set on an instance, the zone from its metadata still names the region.
 */
export function regionOfZone(zone: string): string | undefined {
  return /^[a-z]+(-[a-z]+)*-\d+[a-z]$/.test(zone) ? zone.slice(0, -1) : undefined;
}

/** An attachment just stored: what its entry records. */
export interface NewAttachment {
  /** The object key, `attachments/<uuid>`. */
  readonly key: string;
  readonly contentType: ImageType;
}

export type FetchedAttachment =
  | {
      readonly kind: 'found';
      readonly body: Readable;
      readonly contentType: string | undefined;
      readonly contentLength: number | undefined;
      readonly etag: string | undefined;
    }
  /** The client's If-None-Match matched: it has this version already. */
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'missing' };

export interface AttachmentStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly retry?: StorageRetryOptions;
}

/** Writes and reads attachments; a store that cannot serve throws a StorageUnavailableError. */
export class AttachmentStore {
  constructor(private readonly o: AttachmentStoreOptions) {}

  /** The bucket's name. */
  get bucket(): string {
    return this.o.bucket;
  }

  /** Stores an image under a fresh key. */
  async put(bytes: Buffer, contentType: ImageType): Promise<NewAttachment> {
    const key = attachmentKey(randomUUID());
    // The whole body is at hand, with its length: S3 takes no PutObject of unknown length, and a
    // failed try can be sent again as it is.
    await withStorageRetry(
      () => this.o.client.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: bytes, ContentLength: bytes.length, ContentType: contentType })),
      this.o.retry,
    );
    return { key, contentType };
  }

  /** The attachment `id` (already checked by isAttachmentId), to stream to a client. */
  async get(id: string, ifNoneMatch?: string): Promise<FetchedAttachment> {
    try {
      const r = await withStorageRetry(
        () => this.o.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: attachmentKey(id), ...(ifNoneMatch === undefined ? {} : { IfNoneMatch: ifNoneMatch }) })),
        this.o.retry,
      );
      return { kind: 'found', body: r.Body as Readable, contentType: r.ContentType, contentLength: r.ContentLength, etag: r.ETag };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 304) return { kind: 'not-modified' };
      if (status === 404 || (e as Error).name === 'NoSuchKey') return { kind: 'missing' };
      throw e;
    }
  }
}
