/**
 * HTML built from tagged templates that escape every interpolated value: the report holds
 * party-supplied text (names, reasons, paths), so a string only reaches the page as text. Markup
 * returned by `html` is trusted (`SafeHtml`) and nested as is; anything else is escaped. Attributes
 * in the templates are always double-quoted, so escaping `& < > " '` suffices in both contexts.
 */

/** Markup produced by `html` (or `raw` for constant markup of this module's callers). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What a template may interpolate: lists are concatenated, `null`, `undefined` and `false` render nothing. */
export type Fragment = SafeHtml | string | number | boolean | null | undefined | readonly Fragment[];

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text as HTML text or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

function render(part: Fragment): string {
  if (part instanceof SafeHtml) return part.value;
  if (part === null || part === undefined || part === false) return "";
  if (Array.isArray(part)) return part.map(render).join("");
  if (typeof part === "number") {
    if (!Number.isFinite(part)) throw new RangeError(`not a finite number: ${part}`);
    return String(part);
  }
  return escapeHtml(String(part));
}

/** A template whose interpolations are escaped unless they are `SafeHtml`. */
export function html(strings: TemplateStringsArray, ...parts: Fragment[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < parts.length; i++) out += render(parts[i] as Fragment) + (strings[i + 1] ?? "");
  return new SafeHtml(out);
}

/** Markup that is known safe (constant CSS, numbers formatted by this folder's own code). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
