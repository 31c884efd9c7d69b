import type { ReactNode } from "react";
import { Link } from "react-router";
import type { ApiError } from "../lib/api";

/** A spinner with a label, for content that is on its way. */
export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <div className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {what}…
    </div>
  );
}

/** An API error in words; a 404 reads "not found" (also for another user's ids). */
export function ErrorState({ error, retry }: { error: ApiError | Error; retry?: () => void }) {
  const status = "status" in error ? (error as ApiError).status : 0;
  if (status === 404) return <NotFound detail={error.message} />;
  return (
    <div className="state error" role="alert">
      <strong>Something went wrong.</strong> {error.message}
      {retry && (
        <button type="button" className="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** The page for an id that does not exist or is not the caller's: the same words for both. */
export function NotFound({ detail }: { detail?: string }) {
  return (
    <div className="state not-found" role="alert">
      <h1>Not found</h1>
      <p>{detail ?? "There is nothing at this address."}</p>
      <p>
        <Link to="/">Back to the dashboard</Link>
      </p>
    </div>
  );
}

/** An empty list, with what to do next. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

/** An inline form error bound to a field by id (aria-describedby). */
export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <div className="field-error" id={id} role="alert">
      {message}
    </div>
  );
}
