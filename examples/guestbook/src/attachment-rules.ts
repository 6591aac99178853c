/**
 * The rules for an entry's image, applied to the parts of a multipart body: at most one file, in
 * the `image` field, a PNG, JPEG, GIF or WebP image by its bytes (and declared as that type), of at
 * most 5 MiB. Every problem names the field, what was received and what is accepted. Pure.
 */
import { IMAGE_LABELS, IMAGE_TYPES, isImageType, MAX_IMAGE_BYTES, sniffImageType, SNIFF_BYTES, type ImageType } from './image-type.ts';
import type { FilePart, MultipartBody } from './multipart.ts';
import type { Problem } from './validation.ts';

/** The form field that carries the image. */
export const IMAGE_FIELD = 'image';

/** An image that passed every rule. */
export interface ImageInput {
  readonly bytes: Buffer;
  /** The type its bytes show (and its declared type agrees). */
  readonly contentType: ImageType;
}

export interface AttachmentCheck {
  /** The image, when one was sent and it passed; undefined when none was sent or it failed. */
  readonly image: ImageInput | undefined;
  readonly problems: Problem[];
  /** One of the problems is a file over the size limit: answer 413 rather than 400. */
  readonly tooLarge: boolean;
}

const EXPECTED = `one PNG, JPEG, GIF or WebP image (${IMAGE_TYPES.join(', ')}) of at most ${MAX_IMAGE_BYTES} bytes (5 MiB)`;

/**
 * Checks the files of a multipart body. `enabled` is false when the guestbook has no bucket for
 * attachments: then any image is a problem.
 */
export function checkAttachment(body: MultipartBody, enabled: boolean): AttachmentCheck {
  const problems: Problem[] = [];
  if (body.tooManyFields) {
    problems.push({ field: '(body)', problem: 'too many', received: 'more fields than a guestbook entry has', expected: 'the fields name, message, idempotency_key and image' });
  }
  // A browser sends an empty file part for a file input left empty: that is no image.
  const sent = body.files.filter((f) => !(f.filename === '' && f.bytes.length === 0 && !f.truncated));
  for (const f of sent.filter((f) => f.field !== IMAGE_FIELD)) {
    problems.push({ field: f.field, problem: 'invalid', received: describeFile(f), expected: `no file: only the "${IMAGE_FIELD}" field takes one` });
  }
  if (body.tooManyFiles) {
    problems.push({ field: IMAGE_FIELD, problem: 'too many', received: 'more than one file', expected: EXPECTED });
  }
  const file = sent.find((f) => f.field === IMAGE_FIELD);
  if (file === undefined) return { image: undefined, problems, tooLarge: false };
  if (!enabled) {
    problems.push({ field: IMAGE_FIELD, problem: 'invalid', received: describeFile(file), expected: 'no file: image attachments are not enabled on this guestbook' });
    return { image: undefined, problems, tooLarge: false };
  }
  const problem = checkImage(file);
  if (problem !== undefined) return { image: undefined, problems: [...problems, problem], tooLarge: problem.problem === 'too large' };
  return { image: { bytes: file.bytes, contentType: file.declaredType as ImageType }, problems, tooLarge: false };
}

/** The one problem with an image file, or undefined when it is acceptable. */
function checkImage(f: FilePart): Problem | undefined {
  if (f.truncated) {
    return { field: IMAGE_FIELD, problem: 'too large', received: `a file of more than ${MAX_IMAGE_BYTES} bytes`, expected: EXPECTED };
  }
  if (f.bytes.length === 0) return { field: IMAGE_FIELD, problem: 'empty', received: 'an empty file', expected: EXPECTED };
  const declared = f.declaredType.toLowerCase();
  if (!isImageType(declared)) {
    return { field: IMAGE_FIELD, problem: 'wrong type', received: `${describeFile(f)} declared as ${declared === '' ? 'no type' : declared}`, expected: EXPECTED };
  }
  const actual = sniffImageType(f.bytes.subarray(0, SNIFF_BYTES));
  if (actual !== declared) {
    const content = actual === undefined ? `not a ${Object.values(IMAGE_LABELS).join(', ')} image` : `a ${IMAGE_LABELS[actual]} image`;
    return { field: IMAGE_FIELD, problem: 'invalid', received: `${describeFile(f)} declared as ${declared} whose content is ${content}`, expected: EXPECTED };
  }
  return undefined;
}

function describeFile(f: FilePart): string {
  return `a file of ${f.bytes.length}${f.truncated ? '+' : ''} bytes`;
}
