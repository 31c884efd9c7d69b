// Dark by default, light as an option; the choice is kept in localStorage.

export type Theme = "dark" | "light";
const KEY = "tradelab-theme";

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === "light" ? "light" : "dark";
}

export function setTheme(theme: Theme) {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    // Private windows may refuse storage; the theme still applies to this page.
  }
  window.dispatchEvent(new CustomEvent("tradelab-theme", { detail: theme }));
}

export function applyStoredTheme() {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch {
    stored = null;
  }
  document.documentElement.dataset.theme = stored === "light" ? "light" : "dark";
}

/** Colours for charts (canvas cannot read CSS variables by itself). */
export function chartColors() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    background: v("--bg-panel"),
    text: v("--text-muted"),
    grid: v("--grid"),
    up: v("--up"),
    down: v("--down"),
    accent: v("--accent"),
    accent2: v("--accent-2"),
    muted: v("--text-muted"),
  };
}
