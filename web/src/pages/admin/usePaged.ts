import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, query } from "../../lib/api";
import type { Page } from "../../lib/types";

/** A list read a page at a time: `more` appends the next page, `reload` starts over. */
export function usePaged<T>(path: string, limit = 50) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | undefined>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const load = useCallback(
    (after?: number) => {
      const mine = after === undefined ? ++generation.current : generation.current;
      setLoading(true);
      api
        .get<Page<T>>(`${path}${query({ limit, after })}`)
        .then((page) => {
          if (mine !== generation.current) return;
          setItems((old) => (after === undefined ? page.items : [...old, ...page.items]));
          setNext(page.next_after);
          setError(undefined);
        })
        .catch((e: unknown) => {
          if (mine === generation.current) setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
        })
        .finally(() => {
          if (mine === generation.current) setLoading(false);
        });
    },
    [path, limit],
  );
  useEffect(() => load(), [load]);
  /** Replaces one item in place (after a change the server answered with). */
  const replace = useCallback((match: (t: T) => boolean, item: T) => setItems((old) => old.map((t) => (match(t) ? item : t))), []);
  return {
    items,
    error,
    loading,
    hasMore: next !== null,
    more: () => next !== null && load(next),
    reload: () => load(),
    replace,
  };
}
