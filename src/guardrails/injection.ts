/** Phrasings of prompt injection and jailbreak attempts, each with an id for the decision record. */
const PATTERNS: Array<{ id: string; pattern: RegExp }> = [
  {
    id: 'ignore_instructions',
    pattern:
      /\b(ignore|disregard|forget)\b.{0,30}\b(previous|prior|above|earlier|all|your)\b.{0,20}\b(instructions|rules|prompts?|directions)\b/i,
  },
  {
    id: 'reveal_system_prompt',
    pattern: /\b(reveal|show|print|repeat|leak)\b.{0,30}\b(system|hidden|initial)\s+(prompt|instructions|message)\b/i,
  },
  {
    id: 'role_override',
    pattern:
      /\byou are (now|no longer)\b.{0,40}\b(DAN|unrestricted|unfiltered|jailbroken|without (any )?(rules|restrictions|limits))\b/i,
  },
  {
    id: 'developer_mode',
    pattern: /\b(developer|god|debug)\s+mode\s+(enabled|on|activated)\b|\benable\s+(developer|god)\s+mode\b/i,
  },
  { id: 'do_anything_now', pattern: /\bdo anything now\b|\bjailbreak(ed)?\b/i },
  // Bounded blanks: `\s*` after every newline rescanned a long run of blank lines from each one (quadratic).
  {
    id: 'fake_system_turn',
    pattern: /(^|\n)[ \t]{0,16}(system|assistant)[ \t]{0,16}:[ \t]{0,16}(new|override|updated) (instructions|rules)/i,
  },
];

/** The id of the first injection pattern the text matches, if any. */
export function detectInjection(text: string): string | undefined {
  return PATTERNS.find((p) => p.pattern.test(text))?.id;
}
