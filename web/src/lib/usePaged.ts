// A cursor-paged list of the API (`{items, next_after}`) shown a page at a time with
// "load more": the first page on mount, the next on request.

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api } from "./api";
import type { Page } from "./types";

export interface Paged<T> {
  items: T[];
  /** More pages wait on the server. */
  more: boolean;
  loading: boolean;
  error: ApiError | undefined;
  loadMore: () => void;
  reload: () => void;
  /** Replaces the items `match` finds (after a change the server answered with). */
  replace: (match: (item: T) => boolean, item: T) => void;
}

/** Pages of `path` (which may hold a query already), `limit` rows at a time. */
export function usePaged<T>(path: string | null, limit = 50): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [tick, setTick] = useState(0);
  // The request generation: answers of an older path or reload are dropped.
  const generation = useRef(0);

  const fetchPage = useCallback(
    (after: number | null, mine: number) => {
      if (path === null) return;
      const sep = path.includes("?") ? "&" : "?";
      const url = `${path}${sep}limit=${limit}${after !== null ? `&after=${after}` : ""}`;
      setLoading(true);
      api
        .get<Page<T>>(url)
        .then((page) => {
          if (mine !== generation.current) return;
          setItems((old) => (after === null ? page.items : [...old, ...page.items]));
          setNext(page.next_after);
          setError(undefined);
        })
        .catch((e: unknown) => {
          if (mine !== generation.current) return;
          setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
        })
        .finally(() => {
          if (mine === generation.current) setLoading(false);
        });
    },
    [path, limit],
  );

  useEffect(() => {
    const mine = ++generation.current;
    setItems([]);
    setNext(null);
    if (path === null) {
      setLoading(false);
      return;
    }
    fetchPage(null, mine);
  }, [path, fetchPage, tick]);

  const loadMore = useCallback(() => {
    if (next !== null && !loading) fetchPage(next, generation.current);
  }, [next, loading, fetchPage]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const replace = useCallback((match: (item: T) => boolean, item: T) => setItems((old) => old.map((t) => (match(t) ? item : t))), []);
  return { items, more: next !== null, loading, error, loadMore, reload, replace };
}
