/** Word-level helpers shared by the simulator's answering and judging. */

const STOPWORDS = new Set(
  'a an and are as at be by do does for from has have how i in is it its of on or that the this to was what when where which who why will with you your can our we us about please answer question context'.split(
    ' ',
  ),
);

/** A crude stemmer: enough that "returned items" matches "return an item". */
export function stem(word: string): string {
  return word.length > 4 ? word.replace(/(ing|ed|es|s)$/, '') : word;
}

export function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOPWORDS.has(w)).map(stem);
}

export function sentences(text: string): string[] {
  return (text.match(/[^.!?\n]+[.!?]?/g) ?? []).map((s) => s.trim()).filter((s) => s.length > 3);
}
