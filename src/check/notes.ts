import Handlebars from "handlebars";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";

/**
 * A note is rendered with the report's numbers (`{{best.label}}`), so its `{{...}}` must parse as a
 * Handlebars template: one that does not is an error here, at the note, rather than a report that
 * cannot be built later. Returns the diagnostic, or null when the note parses.
 */
export function noteTemplate(text: string, span: Span): Diagnostic | null {
  if (!text.includes("{{")) return null;
  try {
    Handlebars.parse(text);
    return null;
  } catch (e) {
    // Handlebars' parse errors read "Parse error on line N:\n<excerpt>\n---^\nExpecting ..., got ...".
    const lines = (e as Error).message.split("\n");
    const line = /on line (\d+)/.exec(lines[0] ?? "")?.[1];
    const expecting = lines.find((l) => l.startsWith("Expecting")) ?? lines[0] ?? "";
    return error(
      "E135",
      span,
      `this note's {{...}} cannot be read${line ? ` (line ${line} of the note)` : ""}: ${expecting.replace(/^Expecting /, "expected ")}`,
    );
  }
}
