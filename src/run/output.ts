/**
 * Where the run stage's lines go. The stage prints nothing itself: the CLI passes its standard
 * output and error (src/cli/io.ts) and shows training passes with its displays.
 */

/** Messages (standard error), and whether diagnostics in them are coloured. */
export interface Messages {
  err(text: string): void;
  color: boolean;
}

/** Messages, and the lines that are a command's output (standard output). */
export interface Output extends Messages {
  out(text: string): void;
}
