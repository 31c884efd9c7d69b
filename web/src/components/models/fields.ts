// Server errors next to the form field they name. The API names the request field
// (`name`, `params.pct`, `symbols[0]`, `llm.timeout`, …); a form keeps one message per
// input key, and whatever names no input of the form is shown at the form's end.

import { ApiError } from "../../lib/api";

/** Messages by input key; `form` holds what no input of the form matches. */
export type FieldErrors = Record<string, string>;

/**
 * The errors of a failed request for a form whose inputs are `keys`: the server's
 * field as given, else its stem (`symbols[0]` → `symbols`, `params.blackouts[1]` →
 * `params.blackouts`), else the form as a whole.
 */
export function fieldErrors(e: unknown, keys: readonly string[], alias?: (field: string, message: string) => string | undefined): FieldErrors {
  if (!(e instanceof ApiError)) return { form: String(e instanceof Error ? e.message : e) };
  const field = e.field;
  if (field) {
    const candidates = [alias?.(field, e.message), field, field.replace(/\[\d+\]$/, ""), field.split(/[[.]/)[0]];
    for (const c of candidates) {
      if (c && keys.includes(c)) return { [c]: e.message };
    }
  }
  return { form: e.message };
}

/** Props that bind an input to its error message (for screen readers and styling). */
export function errorProps(errors: FieldErrors, key: string, id: string) {
  return {
    "aria-invalid": errors[key] ? true : undefined,
    "aria-describedby": errors[key] ? `${id}-error` : undefined,
  };
}
