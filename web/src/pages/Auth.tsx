import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { ApiError } from "../lib/api";
import { useAuth } from "../lib/auth";
import { FieldError } from "../components/States";

interface FormErrors {
  email?: string;
  password?: string;
  display_name?: string;
  form?: string;
}

function errorsOf(e: unknown): FormErrors {
  if (e instanceof ApiError) {
    if (e.field === "email" || e.field === "password" || e.field === "display_name") return { [e.field]: e.message };
    return { form: e.message };
  }
  return { form: String(e) };
}

/** Where to go after signing in: the page that sent the visitor here, else the dashboard. */
function useAfterLogin(): string {
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return from && from !== "/login" && from !== "/signup" ? from : "/";
}

export function SignUp() {
  const { register } = useAuth();
  const navigate = useNavigate();
  const next = useAfterLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [errors, setErrors] = useState<FormErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await register(email, password, displayName);
      navigate(next, { replace: true });
    } catch (e) {
      setErrors(errorsOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="auth-page">
      <form className="card auth-card" onSubmit={submit} noValidate>
        <h1>
          Create your <span className="brand-inline">tradelab</span> account
        </h1>
        <p className="muted">Build trading models, run them on historical data, and compare what they did.</p>
        <label htmlFor="email">E-mail</label>
        <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby="email-error" aria-invalid={!!errors.email} />
        <FieldError id="email-error" message={errors.email} />
        <label htmlFor="display_name">Name (optional)</label>
        <input id="display_name" autoComplete="nickname" value={displayName} onChange={(e) => setDisplayName(e.target.value)} aria-describedby="display_name-error" />
        <FieldError id="display_name-error" message={errors.display_name} />
        <label htmlFor="password">Password (at least 12 characters)</label>
        <input id="password" type="password" autoComplete="new-password" required minLength={12} value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby="password-error" aria-invalid={!!errors.password} />
        <FieldError id="password-error" message={errors.password} />
        <FieldError id="form-error" message={errors.form} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating account…" : "Sign up"}
        </button>
        <p className="muted">
          Already have an account? <Link to="/login">Log in</Link>
        </p>
      </form>
    </div>
  );
}

export function Login() {
  const { login } = useAuth();
  const navigate = useNavigate();
  const next = useAfterLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await login(email, password);
      navigate(next, { replace: true });
    } catch (e) {
      setErrors(errorsOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="auth-page">
      <form className="card auth-card" onSubmit={submit} noValidate>
        <h1>
          Log in to <span className="brand-inline">tradelab</span>
        </h1>
        <label htmlFor="email">E-mail</label>
        <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby="email-error" />
        <FieldError id="email-error" message={errors.email} />
        <label htmlFor="password">Password</label>
        <input id="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby="password-error" />
        <FieldError id="password-error" message={errors.password} />
        <FieldError id="form-error" message={errors.form} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="muted">
          New here? <Link to="/signup">Create an account</Link>
        </p>
      </form>
    </div>
  );
}
