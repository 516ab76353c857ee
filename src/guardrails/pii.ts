export type PiiKind = 'card' | 'iban' | 'ssn' | 'email' | 'phone';

/** Luhn checksum: what tells a card number from any other run of digits. Separators are skipped. */
export function luhnValid(text: string): boolean {
  let sum = 0;
  let position = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    let digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) continue;
    if (position % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    position++;
  }
  return position > 0 && sum % 10 === 0;
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 must be 1. */
export function ibanValid(iban: string): boolean {
  const compact = iban.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const value = char >= 'A' ? String(char.charCodeAt(0) - 55) : char;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  /** A further check on the match (checksums), so look-alikes are left alone. */
  valid?: (match: string) => boolean;
}

/**
 * Characters that render as nothing, used to split a number or an address so a pattern misses it.
 * The patterns accept them wherever a separator may stand, instead of a pass that strips them
 * (stripping half a million of them costs ~50 ms of event loop).
 */
const INVISIBLE = '\\u00AD\\u180E\\u200B-\\u200F\\u2060-\\u2064\\uFEFF';
/** Between digit groups: space, dot, dash, underscore (and invisibles), a few at most. */
const SEP = `[ ._\\-${INVISIBLE}]{0,3}`;

// Every pattern is linear in the text: each repetition is bounded, and an unbounded character class
// starts only where a lookbehind says a run begins (an e-mail local part scanned from every position
// of a long run was quadratic: 200 KB held the event loop for 45 s).
// Order matters: IBANs and card numbers hold digit runs the phone pattern would also take.
const DETECTORS: Detector[] = [
  { kind: 'iban', pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g, valid: ibanValid },
  { kind: 'card', pattern: new RegExp(`(?<![\\d_])\\d(?:${SEP}\\d){12,18}(?![\\d_])`, 'g'), valid: luhnValid },
  // An SSN needs separators: nine bare digits are too often something else.
  {
    kind: 'ssn',
    pattern: new RegExp(
      `(?<![\\d_])(?!000|666|9\\d\\d)\\d{3}[ ._\\-${INVISIBLE}]{1,3}(?!00)\\d{2}[ ._\\-${INVISIBLE}]{1,3}(?!0000)\\d{4}(?![\\d_])`,
      'g',
    ),
  },
  {
    kind: 'email',
    pattern: new RegExp(
      `(?<![A-Za-z0-9._%+\\-${INVISIBLE}])[A-Za-z0-9._%+\\-${INVISIBLE}]{1,64}@[A-Za-z0-9\\-${INVISIBLE}]{1,63}(?:\\.[A-Za-z0-9\\-${INVISIBLE}]{1,63}){0,8}\\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
      'g',
    ),
  },
  {
    kind: 'phone',
    pattern: new RegExp(`(?<![\\w+])(?:\\+\\d{1,3}${SEP})?(?:\\(\\d{3}\\)|\\d{3})${SEP}\\d{3}${SEP}\\d{4}\\b`, 'g'),
  },
];

/**
 * The text as a detector should see it: NFKC, so full-width digits and ＠ become ASCII. Only text
 * with findings is sent on in this form.
 */
export function normaliseForScan(text: string): string {
  // Printable ASCII needs no normalising (the common case, and the cheap one).
  if (!/[^\x20-\x7E\n\r\t]/.test(text)) return text;
  return text.normalize('NFKC');
}

export interface PiiScan {
  /** The text with each finding replaced by [REDACTED:kind] (normalised when anything was found; unchanged otherwise). */
  redacted: string;
  found: PiiKind[];
}

/** Find and redact personal data; linear in the text, and cheap when there is none. */
export function scanPii(text: string): PiiScan {
  let redacted = normaliseForScan(text);
  const found: PiiKind[] = [];
  for (const detector of DETECTORS) {
    redacted = redacted.replace(detector.pattern, (match) => {
      if (detector.valid && !detector.valid(match)) return match;
      if (!found.includes(detector.kind)) found.push(detector.kind);
      return `[REDACTED:${detector.kind}]`;
    });
  }
  return { redacted: found.length ? redacted : text, found };
}
