// The parts of the browser tests that are not about a page: a real `tradelab serve`
// on a free loopback port with a fresh data directory, Debian's Chromium driven by
// playwright-core, an OpenAI-compatible model server that answers slowly (so a run
// lasts long enough to be stopped), screenshots, and named steps.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const OUT = resolve(process.env.TRADELAB_E2E_OUT ?? "test-output");
export const CHROMIUM = process.env.TRADELAB_CHROMIUM ?? "/usr/bin/chromium";
const BIN = process.env.TRADELAB_BIN;

/** `tradelab serve` on `dataDir`; resolves once it prints its address. */
async function serve(dataDir, env) {
  const child = spawn(BIN, ["--data-dir", dataDir, "serve", "--bind", "127.0.0.1:0", "--workers", "2"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the server did not start in 60 s:\n${log}`)), 60_000);
    const read = (chunk) => {
      log += chunk.toString();
      const m = log.match(/http:\/\/(127\.0\.0\.1:\d+)\//);
      if (m) {
        clearTimeout(timer);
        ok(`http://${m[1]}`);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => fail(new Error(`the server exited (${code}):\n${log}`)));
  });
  return { child, url, log: () => log };
}

/** SIGTERM (a graceful shutdown), SIGKILL after 30 s; resolves once it exited. */
async function shutDown(child) {
  child.kill("SIGTERM");
  const exited = new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
  const late = setTimeout(() => {
    console.log("the server did not stop within 30 s of SIGTERM; killing it");
    child.kill("SIGKILL");
  }, 30_000);
  await exited;
  clearTimeout(late);
}

/** Runs `tradelab serve` on a fresh data dir; resolves once it prints its address. */
export async function startServer() {
  if (!BIN) throw new Error("TRADELAB_BIN must name the tradelab binary (the cargo test sets it)");
  const dataDir = mkdtempSync(join(tmpdir(), "tradelab-e2e-"));
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" };
  delete env.TRADELAB_DATABASE_URL;
  let current = await serve(dataDir, env);
  return {
    /** The server's address (a restart moves it to another port). */
    get url() {
      return current.url;
    },
    dataDir,
    log: () => current.log(),
    /** `tradelab --data-dir … ARGS` (the same store), with `input` on stdin. */
    cli(args, input) {
      return execFileSync(BIN, ["--data-dir", dataDir, ...args], { input, env, encoding: "utf8" });
    },
    /** Shuts the server down gracefully and starts it again on the same data dir. */
    async restart() {
      await shutDown(current.child);
      current = await serve(dataDir, env);
    },
    async stop() {
      await shutDown(current.child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A chat-completions server that waits `delayMs` and answers "hold" with no tool call. */
export async function startSlowModel(delayMs) {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "chatcmpl-e2e",
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model: "e2e-slow",
            choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "hold: nothing to do" } }],
            usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105 },
          }),
        );
      }, delayMs);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () => {
      // The server under test keeps connections alive; close waits for none of them.
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A new browser context (its own cookies) with console errors collected. */
export async function newUser(browser, base) {
  const context = await browser.newContext({ viewport: DESKTOP, baseURL: base, locale: "en-US" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of (401|404|409|422)/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

/** Screenshots of the current page at desktop and phone width, named `NAME-desktop.png` … */
export async function screenshots(page, name) {
  mkdirSync(OUT, { recursive: true });
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(OUT, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(250);
  await page.screenshot({ path: join(OUT, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

let failures = 0;
/** Runs one named step; a failure is reported with a screenshot and the run goes on. */
export async function step(name, page, fn) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
    return true;
  } catch (e) {
    failures += 1;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
    if (page) {
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, `FAILED-${name.replace(/\W+/g, "_")}.png`), fullPage: true }).catch(() => {});
    }
    return false;
  }
}
export function failed() {
  return failures;
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Whether a chart's canvases hold pixels other than their background colour. */
export async function chartIsDrawn(page, label) {
  return page.evaluate((label) => {
    const box = document.querySelector(`[data-chart="${label}"]`);
    if (!box) return false;
    const canvases = [...box.querySelectorAll("canvas")];
    for (const canvas of canvases) {
      const ctx = canvas.getContext("2d");
      if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const seen = new Set();
      for (let i = 0; i < data.length; i += 16) {
        if (data[i + 3] === 0) continue;
        seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        if (seen.size > 2) return true;
      }
    }
    return false;
  }, label);
}
