export type PiiKind = 'card' | 'iban' | 'ssn' | 'email' | 'phone';

/** Luhn checksum: what tells a card number from any other run of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
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

// Order matters: IBANs and card numbers hold digit runs the phone pattern would also take.
const DETECTORS: Detector[] = [
  { kind: 'iban', pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g, valid: ibanValid },
  { kind: 'card', pattern: /\b\d(?:[ -]?\d){12,18}\b/g, valid: (match) => luhnValid(match.replace(/\D/g, '')) },
  { kind: 'ssn', pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  { kind: 'email', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
  { kind: 'phone', pattern: /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}\b/g },
];

export interface PiiScan {
  /** The text with each finding replaced by [REDACTED:kind]. */
  redacted: string;
  found: PiiKind[];
}

/** Find and redact personal data; cheap when there is none (one regex pass per kind). */
export function scanPii(text: string): PiiScan {
  let redacted = text;
  const found: PiiKind[] = [];
  for (const detector of DETECTORS) {
    redacted = redacted.replace(detector.pattern, (match) => {
      if (detector.valid && !detector.valid(match)) return match;
      if (!found.includes(detector.kind)) found.push(detector.kind);
      return `[REDACTED:${detector.kind}]`;
    });
  }
  return { redacted, found };
}
