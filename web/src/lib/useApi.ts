import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api } from "./api";

/** The state of a GET: loading, its data, or its error; `reload` fetches again. */
export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Fetches `path` (nothing while it is null) and refetches when it changes. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState<boolean>(path !== null);
  const [tick, setTick] = useState(0);
  const current = useRef(0);
  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    const mine = ++current.current;
    setLoading(true);
    api
      .get<T>(path)
      .then((d) => {
        if (mine === current.current) {
          setData(d);
          setError(undefined);
        }
      })
      .catch((e: unknown) => {
        if (mine === current.current) {
          setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
        }
      })
      .finally(() => {
        if (mine === current.current) setLoading(false);
      });
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
