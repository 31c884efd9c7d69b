import { Loading } from "../../components/States";
import type { Paged } from "../../lib/usePaged";

/** The foot of a paged list: a spinner, an error, or the "load more" button. */
/** `shown`: how many entries the page made of the rows (default: the rows). */
export function LoadMore<T>({ paged, what, shown }: { paged: Paged<T>; what: string; shown?: number }) {
  if (paged.loading) return <Loading what={`Loading ${what}`} />;
  return (
    <div className="row run-load-more">
      {paged.error && (
        <span className="field-error" role="alert">
          {paged.error.message}
        </span>
      )}
      {paged.more && (
        <button type="button" onClick={paged.loadMore}>
          Load more {what}
        </button>
      )}
      <span className="muted">
        {(shown ?? paged.items.length).toLocaleString()} {what} shown{paged.more ? "" : " (all)"}
      </span>
    </div>
  );
}
