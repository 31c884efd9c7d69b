import { useState, type ReactNode } from "react";
import { Link, NavLink, useNavigate } from "react-router";
import { useAuth } from "../lib/auth";
import { currentTheme, setTheme } from "../lib/theme";

/** The frame of every signed-in page: the navigation bar, the theme switch, sign out. */
export function Layout({ children }: { children: ReactNode }) {
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const [theme, setThemeState] = useState(currentTheme());
  const [menuOpen, setMenuOpen] = useState(false);
  const toggleTheme = () => {
    const next = theme === "dark" ? "light" : "dark";
    setTheme(next);
    setThemeState(next);
  };
  const signOut = async () => {
    await logout();
    navigate("/login");
  };
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand" aria-label="tradelab home">
          trade<span>lab</span>
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="main-nav" className={menuOpen ? "open" : ""} aria-label="Main" onClick={() => setMenuOpen(false)}>
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/models/new">New model</NavLink>
          <NavLink to="/compare">Compare</NavLink>
          <NavLink to="/leaderboard">Leaderboard</NavLink>
          {user?.role === "admin" && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <div className="topbar-right">
          <button type="button" className="ghost" onClick={toggleTheme} aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}>
            {theme === "dark" ? "Light" : "Dark"}
          </button>
          <span className="who" title={user?.email}>
            {user?.display_name}
          </span>
          <button type="button" className="ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
