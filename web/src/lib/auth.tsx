// Who is signed in. The session is an HttpOnly cookie the page cannot read, so the
// app asks `/auth/me` at start and after login; a 401 anywhere signs the page out.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, ApiError, setUnauthorizedHandler } from "./api";
import type { User } from "./types";

interface Auth {
  /** undefined while asking the server; null when nobody is signed in. */
  user: User | null | undefined;
  login: (email: string, password: string) => Promise<void>;
  register: (email: string, password: string, displayName?: string) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<Auth | undefined>(undefined);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  useEffect(() => {
    api
      .get<User>("/auth/me")
      .then(setUser)
      .catch(() => setUser(null));
    setUnauthorizedHandler(() => setUser(null));
    return () => setUnauthorizedHandler(undefined);
  }, []);
  const login = useCallback(async (email: string, password: string) => {
    await api.post("/auth/login", { email, password });
    setUser(await api.get<User>("/auth/me"));
  }, []);
  const register = useCallback(
    async (email: string, password: string, displayName?: string) => {
      await api.post("/auth/register", { email, password, display_name: displayName || undefined });
      await login(email, password);
    },
    [login],
  );
  const logout = useCallback(async () => {
    try {
      await api.post("/auth/logout");
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    }
    setUser(null);
  }, []);
  const value = useMemo(() => ({ user, login, register, logout }), [user, login, register, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
