/**
 * The HTML page. Every piece of user text goes through escapeHtml; the Content-Security-Policy
 * header (see http.ts) forbids scripts as a second line of defence.
 */
import type { Entry } from './entries.ts';
import type { Identity } from './identity.ts';
import { IMAGE_TYPES } from './image-type.ts';
import { LIMITS, type Problem } from './validation.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export interface PageModel {
  readonly identity: Identity;
  readonly entries: readonly Entry[] | undefined;
  /** A fresh key per rendering: resubmitting this form (double click, reload) makes one entry. */
  readonly idempotencyKey: string;
  readonly problems?: readonly Problem[];
  readonly values?: { readonly name?: string; readonly message?: string };
  /** Shown instead of the list when the entries cannot be read. */
  readonly notice?: string;
  /** Image attachments are on: the form is multipart/form-data with a file input. @default false */
  readonly attachments?: boolean;
}

export function renderPage(m: PageModel): string {
  const e = escapeHtml;
  const problems =
    m.problems === undefined || m.problems.length === 0
      ? ''
      : `<ul class="problems">${m.problems.map((p) => `<li>${e(p.field)}: ${e(p.problem)} (received ${e(p.received)}; expected ${e(p.expected)})</li>`).join('')}</ul>`;
  const list =
    m.entries === undefined
      ? `<p class="notice">${e(m.notice ?? 'Entries are unavailable right now.')}</p>`
      : m.entries.length === 0
        ? '<p>No entries yet. Be the first.</p>'
        : `<ol class="entries">${m.entries
            .map(
              (x) =>
                `<li><p class="message">${e(x.message)}</p>${
                  x.attachment === null ? '' : `<p class="image"><img src="${e(x.attachment.url)}" alt="${e(`Image attached by ${x.name}`)}" loading="lazy"></p>`
                }<p class="meta">— ${e(x.name)}, <time datetime="${e(x.createdAt)}">${e(x.createdAt)}</time>, written by ${e(x.instanceId)} in ${e(x.zone)}</p></li>`,
            )
            .join('')}</ol>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Guestbook</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  .served { color: #666; font-size: .9rem; }
  form { display: grid; gap: .5rem; margin: 1.5rem 0; }
  input, textarea, button { font: inherit; padding: .4rem; }
  .problems, .notice { color: #a00; }
  .entries { list-style: none; padding: 0; }
  .entries li { border-top: 1px solid #ddd; padding: .5rem 0; }
  .message { white-space: pre-wrap; margin: 0; }
  .meta { color: #666; font-size: .85rem; margin: 0; }
  .image { margin: .5rem 0; }
  .image img { max-width: 100%; max-height: 24rem; height: auto; }
</style>
</head>
<body>
<h1>Guestbook</h1>
<p class="served">served by ${e(m.identity.instanceId)} in ${e(m.identity.zone)}</p>
${problems}
<form method="post" action="/entries"${m.attachments === true ? ' enctype="multipart/form-data"' : ''}>
  <input type="hidden" name="idempotency_key" value="${e(m.idempotencyKey)}">
  <label>Name <input name="name" required maxlength="${LIMITS.name}" value="${e(m.values?.name ?? '')}"></label>
  <label>Message <textarea name="message" required maxlength="${LIMITS.message}" rows="3">${e(m.values?.message ?? '')}</textarea></label>
${m.attachments === true ? `  <label>Image (optional: PNG, JPEG, GIF or WebP, at most 5 MiB) <input type="file" name="image" accept="${IMAGE_TYPES.join(',')}"></label>
` : ''}  <button type="submit">Sign the guestbook</button>
</form>
${list}
</body>
</html>
`;
}
