/**
 * An error the S3 API answers with: S3's own code, HTTP status and message, rendered as S3's error
 * XML by the gateway. Not a HastackError: these codes belong to the S3 protocol, and clients
 * (the AWS SDK, awscli, s3cmd, rclone) branch on them.
 */

/** S3 codes this store answers with, and the status S3 gives each. */
export const S3_ERROR_STATUS = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IllegalLocationConstraintException: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidChunkSizeError: 403,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartNumber: 416,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidStorageClass: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  MissingSecurityHeader: 400,
  NoSuchBucket: 404,
  NoSuchBucketPolicy: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchLifecycleConfiguration: 404,
  NoSuchPublicAccessBlockConfiguration: 404,
  NoSuchTagSet: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NotImplemented: 501,
  NotModified: 304,
  OwnershipControlsNotFoundError: 404,
  PreconditionFailed: 412,
  RequestHeaderSectionTooLarge: 400,
  RequestTimeTooSkewed: 403,
  RequestTimeout: 400,
  ServerSideEncryptionConfigurationNotFoundError: 404,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof S3_ERROR_STATUS;

export class S3Error extends Error {
  override readonly name = 'S3Error';
  readonly status: number;

  /**
   * @param fields extra elements of the error XML (`Key`, `BucketName`, `ArgumentName`,
   *   `ArgumentValue`, `ExpectedDigest`, …) and, for 405/304, nothing else.
   */
  constructor(
    readonly code: S3ErrorCode,
    message: string,
    readonly fields: Readonly<Record<string, string | number>> = {},
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = S3_ERROR_STATUS[code];
    this.headers = options.headers ?? {};
  }

  /** Response headers the error carries (`x-amz-delete-marker`, `allow`, …). */
  readonly headers: Readonly<Record<string, string>>;
}

export function isS3Error(e: unknown): e is S3Error {
  return e instanceof S3Error;
}
