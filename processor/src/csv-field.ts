/** One RFC 4180 field: quoted when it holds a quote, comma or line break, or edge spaces a reader could trim. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}
