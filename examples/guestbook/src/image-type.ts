/**
 * Which images an entry may carry, told by their first bytes (the "magic numbers" of each format)
 * rather than by the type a client declares, which is only a claim. Pure.
 */

/** The accepted image types, as Content-Type values. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

export type ImageType = (typeof IMAGE_TYPES)[number];

/** The largest image accepted: 5 MiB. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** How many leading bytes sniffImageType needs to tell every accepted type. */
export const SNIFF_BYTES = 12;

/** The format's usual name, for messages. */
export const IMAGE_LABELS: Readonly<Record<ImageType, string>> = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/gif': 'GIF',
  'image/webp': 'WebP',
};

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Each type's signature: bytes expected at an offset (all must match). */
const SIGNATURES: readonly { readonly type: ImageType; readonly parts: readonly { readonly at: number; readonly bytes: readonly number[] }[] }[] = [
  { type: 'image/png', parts: [{ at: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] }] },
  { type: 'image/jpeg', parts: [{ at: 0, bytes: [0xff, 0xd8, 0xff] }] },
  { type: 'image/gif', parts: [{ at: 0, bytes: ascii('GIF8') }, { at: 5, bytes: ascii('a') }] },
  { type: 'image/webp', parts: [{ at: 0, bytes: ascii('RIFF') }, { at: 8, bytes: ascii('WEBP') }] },
];

/** The accepted type these bytes begin like, or undefined when they are none of them. */
export function sniffImageType(head: Uint8Array): ImageType | undefined {
  const gifVersion = head[4];
  for (const s of SIGNATURES) {
    if (!s.parts.every((p) => p.bytes.every((b, i) => head[p.at + i] === b))) continue;
    // GIF87a or GIF89a, nothing else.
    if (s.type === 'image/gif' && gifVersion !== 0x37 && gifVersion !== 0x39) continue;
    return s.type;
  }
  return undefined;
}

/** True for one of IMAGE_TYPES. */
export function isImageType(value: string): value is ImageType {
  return (IMAGE_TYPES as readonly string[]).includes(value);
}
