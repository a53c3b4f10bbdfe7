/** Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Text that came from elsewhere (a queue worker, Redis), made safe to print and to keep: control
 * characters (terminal escapes, newlines) become spaces, and it is cut to `max` characters.
 */
export function printable(text: string, max = 2000): string {
  const flat = text.replace(control, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Whether text has no control characters: a name to show as it is. */
export function isPrintable(text: string): boolean {
  return !new RegExp(control.source).test(text);
}
