// Whether new accounts may sign up (the `registration_open` setting).

import { useState } from "react";
import { ApiError, api } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { ErrorState, FieldError, Loading } from "../../components/States";
import type { Setting } from "./types";

const KEY = "registration_open";

export function Registration({ onChanged }: { onChanged: () => void }) {
  const settings = useApi<Setting[]>("/admin/settings");
  const [saved, setSaved] = useState<boolean | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const fromServer = settings.data?.find((s) => s.key === KEY)?.value;
  const open = saved ?? fromServer !== false;
  const change = async (value: boolean) => {
    const before = open;
    setSaved(value); // the box follows the click at once; a refusal puts it back
    setBusy(true);
    setError(undefined);
    try {
      const s = await api.put<Setting>(`/admin/settings/${KEY}`, { value });
      setSaved(s.value === true);
      onChanged();
    } catch (e) {
      setSaved(before);
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="registration-title">
      <h2 id="registration-title">Registration</h2>
      {settings.loading && !settings.data && <Loading what="Reading the settings" />}
      {settings.error && <ErrorState error={settings.error} retry={settings.reload} />}
      {settings.data && (
        <>
          <label className="checkbox" htmlFor="registration-open">
            <input
              id="registration-open"
              type="checkbox"
              checked={open}
              disabled={busy}
              onChange={(e) => change(e.target.checked)}
              aria-describedby="registration-help registration-error"
            />
            Anyone may sign up
          </label>
          <p id="registration-help" className="muted small">
            {open ? "Registration is open: the sign-up page creates accounts." : "Registration is closed: only admins create accounts (tradelab users create)."}
          </p>
          <FieldError id="registration-error" message={error} />
        </>
      )}
    </section>
  );
}
