const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why Postgres (text, jsonb) could not store this string, or undefined when it can: a NUL
 * character or an unpaired UTF-16 surrogate. One such value fails a whole batch insert, so every
 * boundary that takes untrusted text refuses it.
 */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (\\u0000), which cannot be stored; remove it';
  if (LONE_SURROGATE.test(text))
    return 'an unpaired UTF-16 surrogate (broken emoji or binary data); send valid Unicode text';
  return undefined;
}

/** The text with what cannot be stored replaced by U+FFFD: for values we must keep (provider output). */
export function storableText(text: string): string {
  if (!unstorableReason(text)) return text;
  return text.replace(/\u0000/g, '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}
