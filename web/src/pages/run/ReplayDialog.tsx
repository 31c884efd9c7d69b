// "Replay with other rules" (`POST /runs/{id}/replay`): the rules this run enforced
// (its snapshot) and the model's other rules (`GET /models/{id}/rules`), each to turn
// on or off or to change a parameter of. The replay takes the parent's rules and
// replaces those named in the document, so only the changed rules are sent.

import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { FieldError, Loading } from "../../components/States";
import { ApiError, api } from "../../lib/api";
import type { Page, Run } from "../../lib/types";
import { Dialog } from "./Dialog";
import type { RuleView, SnapshotRule } from "./types";

/** A rule of the form: as the run had it (or as the model has it), and as edited. */
interface FormRule {
  name: string;
  kind: string;
  priority: number;
  description: string;
  /** The run enforced it. */
  inRun: boolean;
  /** Whether it was on in the run (rules only the model has were not). */
  wasActive: boolean;
  /** Parameters as the run (or the model) had them. */
  params: Record<string, unknown>;
  active: boolean;
  /** Parameter values as typed. */
  edits: Record<string, string>;
}

/** A parameter as text for its input. */
function paramText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** A typed parameter back to the type of the original (numbers stay numbers). */
function paramValue(original: unknown, text: string): unknown {
  if (typeof original === "number") {
    const n = Number(text.trim());
    return text.trim() !== "" && Number.isFinite(n) ? n : text;
  }
  if (typeof original === "boolean") return text === "true";
  if (typeof original === "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function changed(r: FormRule): boolean {
  if (r.active !== r.wasActive) return true;
  return Object.entries(r.params).some(([k, v]) => r.edits[k] !== paramText(v));
}

/** `rule "stop_loss" field pct: must be …` lines of the server's answer, by rule and field. */
function issuesOf(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of message.split("\n")) {
    const m = line.match(/rule "(.+?)" field ([^:]+): (.*)$/);
    if (m) out[`${m[1]}.${m[2].trim()}`] = m[3];
  }
  return out;
}

interface Props {
  run: Run;
  open: boolean;
  onClose: () => void;
}

export function ReplayDialog({ run, open, onClose }: Props) {
  const navigate = useNavigate();
  const [modelRules, setModelRules] = useState<RuleView[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [rules, setRules] = useState<FormRule[]>([]);
  const [allowChanged, setAllowChanged] = useState(false);
  const [askAgain, setAskAgain] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const snapshot = (run.snapshot ?? {}) as { rules?: SnapshotRule[]; decider?: { kind?: string } };
  const isLlm = snapshot.decider?.kind === "llm";

  useEffect(() => {
    if (!open) return;
    let gone = false;
    setModelRules(undefined);
    setLoadError(undefined);
    setError(undefined);
    api
      .get<Page<RuleView>>(`/models/${run.model_id}/rules?limit=1000`)
      .then((p) => !gone && setModelRules(p.items))
      .catch((e: unknown) => {
        if (gone) return;
        // The model may be gone; the run's own rules are enough to replay.
        setModelRules([]);
        setLoadError(e instanceof ApiError && e.status === 404 ? "The model no longer exists: only this run's rules are listed." : String(e instanceof Error ? e.message : e));
      });
    return () => {
      gone = true;
    };
  }, [open, run.model_id]);

  const initial = useMemo<FormRule[] | undefined>(() => {
    if (!modelRules) return undefined;
    const out: FormRule[] = (snapshot.rules ?? []).map((s) => {
      const { kind, ...params } = s.params ?? {};
      return {
        name: s.name,
        kind: String(kind ?? s.category),
        priority: s.priority,
        description: s.description,
        inRun: true,
        wasActive: s.active,
        params,
        active: s.active,
        edits: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, paramText(v)])),
      };
    });
    for (const m of modelRules) {
      if (out.some((r) => r.name === m.name)) continue;
      out.push({
        name: m.name,
        kind: m.kind,
        priority: m.priority,
        description: m.summary ?? m.description,
        inRun: false,
        wasActive: false,
        params: m.params,
        active: false,
        edits: Object.fromEntries(Object.entries(m.params).map(([k, v]) => [k, paramText(v)])),
      });
    }
    return out.sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
    // The snapshot is the run's, fixed for its id.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [modelRules]);

  useEffect(() => {
    if (initial) setRules(initial);
  }, [initial]);

  const update = (name: string, change: (r: FormRule) => FormRule) =>
    setRules((old) => old.map((r) => (r.name === name ? change(r) : r)));

  const edited = rules.filter(changed);
  const issues = error ? issuesOf(error.message) : {};
  const unplaced = error && Object.keys(issues).length === 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const document = {
      rule: edited.map((r) => ({
        ...Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, paramValue(v, r.edits[k] ?? "")])),
        name: r.name,
        kind: r.kind,
        priority: r.priority,
        active: r.active,
      })),
    };
    try {
      const body: Record<string, unknown> = { rules: document, allow_changed_data: allowChanged };
      if (isLlm) body.ask_again = askAgain;
      const replay = await api.post<Run>(`/runs/${run.id}/replay`, body);
      onClose();
      navigate(`/runs/${replay.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={onClose} labelledBy="replay-heading" wide>
      <form onSubmit={submit} noValidate>
        <h2 id="replay-heading">Replay {run.label} with other rules</h2>
        <p className="muted">
          The replay runs the same decisions on the same bars
          {isLlm ? " (the model's recorded answers, unless asked again)" : ""}; only the rules you change differ. Rules not in
          this run are the model's, off unless you turn them on.
        </p>
        {loadError && <p className="muted">{loadError}</p>}
        {!initial ? (
          <Loading what="Loading the rules" />
        ) : rules.length === 0 ? (
          <p>This run had no rules and its model has none: add rules to the model first.</p>
        ) : (
          <ul className="run-replay-rules" aria-label="Rules">
            {rules.map((r) => {
              const id = `replay-${r.name.replace(/\W/g, "_")}`;
              return (
                <li key={r.name} className={changed(r) ? "changed" : ""}>
                  <label className="checkbox" htmlFor={`${id}-active`}>
                    <input
                      id={`${id}-active`}
                      type="checkbox"
                      checked={r.active}
                      onChange={(ev) => update(r.name, (x) => ({ ...x, active: ev.target.checked }))}
                    />
                    <strong>{r.name}</strong> <code className="muted">{r.kind}</code>
                    {!r.inRun && <span className="badge">not in this run</span>}
                    {changed(r) && <span className="badge run-changed">changed</span>}
                  </label>
                  {r.description && <div className="muted run-rule-desc">{r.description}</div>}
                  {Object.keys(r.params).length > 0 && (
                    <div className="form-grid run-rule-params">
                      {Object.entries(r.params).map(([k, v]) => {
                        const fid = `${id}-${k}`;
                        const issue = issues[`${r.name}.${k}`];
                        return (
                          <div key={k}>
                            <label htmlFor={fid}>{k.replace(/_/g, " ")}</label>
                            {typeof v === "boolean" ? (
                              <select
                                id={fid}
                                value={r.edits[k]}
                                onChange={(ev) => update(r.name, (x) => ({ ...x, edits: { ...x.edits, [k]: ev.target.value } }))}
                              >
                                <option value="true">yes</option>
                                <option value="false">no</option>
                              </select>
                            ) : (
                              <input
                                id={fid}
                                value={r.edits[k] ?? ""}
                                inputMode={typeof v === "number" ? "decimal" : undefined}
                                aria-invalid={issue ? true : undefined}
                                aria-describedby={issue ? `${fid}-error` : undefined}
                                onChange={(ev) => update(r.name, (x) => ({ ...x, edits: { ...x.edits, [k]: ev.target.value } }))}
                              />
                            )}
                            <FieldError id={`${fid}-error`} message={issue} />
                          </div>
                        );
                      })}
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        <label className="checkbox" htmlFor="replay-allow-changed">
          <input id="replay-allow-changed" type="checkbox" checked={allowChanged} onChange={(e) => setAllowChanged(e.target.checked)} />
          Replay even if the bars changed since this run
        </label>
        {isLlm && (
          <label className="checkbox" htmlFor="replay-ask-again">
            <input id="replay-ask-again" type="checkbox" checked={askAgain} onChange={(e) => setAskAgain(e.target.checked)} />
            Ask the model again instead of replaying its recorded answers
          </label>
        )}
        {unplaced && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
        {error && !unplaced && (
          <p className="field-error" role="alert">
            The rules were refused: see the fields marked above.
          </p>
        )}
        <div className="row run-dialog-actions">
          <span className="muted">
            {edited.length ? `${edited.length} rule${edited.length === 1 ? "" : "s"} changed` : "No rule changed: the replay repeats the run"}
          </span>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !initial}>
            {busy ? "Starting…" : "Start the replay"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
