// The feed of a live paper run, as the start-run form and the run page's resume dialog
// ask for it: the market (a provider chain of the server, `GET /data/providers`, with
// its breakers' states) or stored bars replayed as live at a speed. What the API takes
// as the `live` object of `POST /models/{id}/runs` and `POST /runs/{id}/resume`.

import { useApi } from "../../lib/useApi";
import { FieldError } from "../States";
import { errorProps, type FieldErrors } from "./fields";

/** The feed chosen in the form (the speed as typed). */
export interface LiveChoice {
  feed: "market" | "replay";
  /** A chain (`stock`, `crypto`), or "" for the chain of the symbols' class. */
  provider: string;
  speed: string;
}

/** Replay-as-live speed when none is typed: a minute bar a second. */
export const DEFAULT_SPEED = "60";

export const NEW_LIVE_CHOICE: LiveChoice = { feed: "market", provider: "", speed: DEFAULT_SPEED };

/** The feed a live run keeps in its snapshot (`snapshot.live_feed`), as the form's
 * choice; `null` for a run that does not say (a replay, or one started before runs
 * kept their feed). */
export function keptFeed(snapshot: Record<string, unknown> | undefined): LiveChoice | null {
  const kept = snapshot?.live_feed as { feed?: unknown; provider?: unknown; speed?: unknown } | undefined;
  if (!kept || (kept.feed !== "market" && kept.feed !== "replay")) return null;
  return {
    feed: kept.feed,
    provider: typeof kept.provider === "string" ? kept.provider : "",
    speed: typeof kept.speed === "number" ? String(kept.speed) : DEFAULT_SPEED,
  };
}

/** A feed in words: `Stored bars replayed at 60×`, `Market data (stock chain)`. */
export function feedText(c: LiveChoice): string {
  if (c.feed === "replay") return `Stored bars replayed at ${c.speed}×`;
  return c.provider ? `Market data (${c.provider} chain)` : "Market data (the chain of its symbols' class)";
}

/** The input keys of the feed fields, as the server names them in a 422. */
export const LIVE_KEYS = ["live.feed", "live.provider", "live.speed"] as const;

/** The request's `live` object. A speed that is not a number goes as typed, so the
 * server's 422 names the field. */
export function liveBody(c: LiveChoice): Record<string, unknown> {
  if (c.feed === "market") return { feed: "market", provider: c.provider || undefined };
  const typed = c.speed.trim() || DEFAULT_SPEED;
  const speed = Number(typed);
  return { feed: "replay", speed: Number.isFinite(speed) ? speed : typed };
}

/** `GET /data/providers` as far as the form reads it. */
interface ProvidersView {
  chains: { class: string; providers: { name: string; state: string }[] }[];
  providers: { name: string; configured: boolean }[];
}

/** A chain in words: its providers in order, with their breakers and missing keys. */
function chainText(chain: ProvidersView["chains"][number], providers: ProvidersView["providers"]): string {
  const names = chain.providers.map((p) => {
    const notes: string[] = [];
    if (p.state !== "closed") notes.push(`breaker ${p.state}`);
    if (providers.find((c) => c.name === p.name)?.configured === false) notes.push("no key");
    return notes.length ? `${p.name} (${notes.join(", ")})` : p.name;
  });
  return `${chain.class} chain: ${names.join(" → ") || "no providers"}`;
}

interface Props {
  /** Prefix of the inputs' ids (`run` gives `run-feed-market`, …). */
  id: string;
  value: LiveChoice;
  onChange: (c: LiveChoice) => void;
  errors: FieldErrors;
}

export function LiveFeedFields({ id, value, onChange, errors }: Props) {
  const providers = useApi<ProvidersView>("/data/providers");
  const set = (patch: Partial<LiveChoice>) => onChange({ ...value, ...patch });
  return (
    <>
      <fieldset className="run-fieldset live-feed" {...errorProps(errors, "live.feed", `${id}-feed`)}>
        <legend>Feed</legend>
        <label className="checkbox" htmlFor={`${id}-feed-market`}>
          <input id={`${id}-feed-market`} type="radio" name={`${id}-feed`} checked={value.feed === "market"} onChange={() => set({ feed: "market" })} />
          Market data from now on (a provider chain of the server)
        </label>
        <label className="checkbox" htmlFor={`${id}-feed-replay`}>
          <input id={`${id}-feed-replay`} type="radio" name={`${id}-feed`} checked={value.feed === "replay"} onChange={() => set({ feed: "replay" })} />
          Stored bars replayed as live (watch or test a live run without a market)
        </label>
      </fieldset>
      <FieldError id={`${id}-feed-error`} message={errors["live.feed"]} />
      {value.feed === "market" ? (
        <div>
          <label htmlFor={`${id}-provider`}>Provider</label>
          <select id={`${id}-provider`} value={value.provider} onChange={(e) => set({ provider: e.target.value })} {...errorProps(errors, "live.provider", `${id}-provider`)}>
            <option value="">The chain of the symbols' class (stock or crypto)</option>
            {(providers.data?.chains ?? []).map((c) => (
              <option key={c.class} value={c.class}>
                {chainText(c, providers.data?.providers ?? [])}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-provider-error`} message={errors["live.provider"]} />
          {providers.error && <p className="muted hint">The providers could not be read: {providers.error.message}</p>}
          <p className="muted hint">Each bar is decided when it closes on the exchange clock; an outage fails over down the chain or pauses the run until data comes back.</p>
        </div>
      ) : (
        <div>
          <label htmlFor={`${id}-speed`}>Speed (× real time)</label>
          <input id={`${id}-speed`} type="number" inputMode="decimal" min="0" step="any" value={value.speed} onChange={(e) => set({ speed: e.target.value })} {...errorProps(errors, "live.speed", `${id}-speed`)} />
          <FieldError id={`${id}-speed-error`} message={errors["live.speed"]} />
          <p className="muted hint">60 plays a minute bar a second; 86400 a daily bar a second.</p>
        </div>
      )}
    </>
  );
}
