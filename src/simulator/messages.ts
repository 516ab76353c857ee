/** Both APIs accept content as a string or as an array of typed blocks; we only read the text. */
export type Content = string | Array<{ type: string; text?: string }>;

export function contentText(content: Content | null | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((block) => block.text ?? '').join('');
}
