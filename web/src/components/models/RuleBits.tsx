// Small pieces for showing a rule: its scope as a badge (the words in full on hover
// and for screen readers), its parameters in one line.

import { SCOPE_WORDS, paramsText } from "./ruleKinds";
import type { RuleView, ScopeKind } from "./types";

export function ScopeBadge({ rule }: { rule: Pick<RuleView, "scope" | "scope_kind"> }) {
  const kind = rule.scope_kind as ScopeKind | null;
  const words = kind ? SCOPE_WORDS[kind] : undefined;
  if (!words && !rule.scope) return null;
  return (
    <span className={`badge scope ${kind ?? ""}`} title={rule.scope ?? undefined}>
      {words ?? rule.scope}
    </span>
  );
}

/** The parameters of a rule as written: `pct = 5; on_breach = resize`. */
export function RuleParams({ rule }: { rule: Pick<RuleView, "params"> }) {
  const text = paramsText(rule.params);
  return <code className="rule-params">{text || "—"}</code>;
}
