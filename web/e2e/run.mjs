// The web UI in a real browser against a real `tradelab serve` (see issue 18): a
// newcomer signs up, builds a model from the swing-trader template on the bundled
// daily stocks, runs it and watches it finish live, checks the charts and trades,
// toggles a rule, replays with a rule changed and compares the pair; another user
// cannot open the run; an admin's emergency stop halts a running run; live paper runs
// (live.mjs) start, show as live, resume after a server restart and stop. Screenshots
// of every page at desktop and phone width go to test-output/.
//
// Run: TRADELAB_BIN=target/debug/tradelab node e2e/run.mjs (the cargo test
// `browser_ui` does this).

import {
  assert,
  chartIsDrawn,
  failed,
  launchBrowser,
  newUser,
  screenshots,
  startServer,
  startSlowModel,
  step,
} from "./harness.mjs";
import { liveChecks } from "./live.mjs";

const PASSWORD = "correct-horse-battery-1";
const server = await startServer();
const model = await startSlowModel(250);
const browser = await launchBrowser();
console.log(`server ${server.url}`);
let runA; // the first run's id
let runB; // its replay's id
let modelId;
let pageErrors = [];

try {
  const alice = await newUser(browser, server.url);
  const { page } = alice;
  page.setDefaultTimeout(20_000);

  await step("a newcomer lands on the sign-up page and creates an account", page, async () => {
    await page.goto("/");
    await page.getByRole("heading", { name: /create your/i }).waitFor();
    await screenshots(page, "01-signup");
    await page.getByLabel("E-mail").fill("alice@example.com");
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("link", { name: /create (your first )?model/i }).first().waitFor();
    await screenshots(page, "02-dashboard-empty");
  });

  await step("creates a model from the swing-trader template on the bundled daily stocks", page, async () => {
    await page.getByRole("link", { name: /create (your first )?model/i }).first().click();
    await page.waitForURL(/\/models\/new/);
    await page.getByLabel("Name", { exact: true }).fill("Swing AAPL");
    await page.locator("#template-swing_trader").check();
    await page.getByRole("checkbox", { name: /AAPL/ }).check();
    await screenshots(page, "03-model-new");
    await page.getByRole("button", { name: /create model|save/i }).click();
    await page.waitForURL(/\/models\/\d+$/);
    modelId = Number(page.url().match(/\/models\/(\d+)$/)[1]);
    await page.getByRole("heading", { name: "Swing AAPL" }).waitFor();
  });

  await step("starts a run and watches it complete live", page, async () => {
    // 2008–2012: the template's drawdown halt would end a run over 2000 early.
    await page.locator("#run-from").fill("2008-01-02");
    await page.locator("#run-to").fill("2012-12-31");
    await page.getByRole("button", { name: /start run/i }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    runA = Number(page.url().match(/\/runs\/(\d+)$/)[1]);
    await page.locator('[aria-label="Status: completed"]').first().waitFor({ timeout: 60_000 });
    await page.getByRole("table", { name: "Closed trades" }).waitFor();
    await page.waitForTimeout(500);
    await screenshots(page, "05-run");
  });

  await step("the run's equity chart is drawn", page, async () => {
    assert(await chartIsDrawn(page, "Equity curve"), "the equity chart's canvas has only background pixels");
  });

  await step("the run's closed-trades table has rows", page, async () => {
    const rows = await page.getByRole("table", { name: "Closed trades" }).locator("tbody tr").count();
    assert(rows > 0, "no closed trades listed");
  });

  await step("the model page lists the run with its metrics", page, async () => {
    await page.goto(`/models/${modelId}`);
    await page.getByRole("table", { name: "Runs" }).getByRole("link", { name: "Run 1" }).waitFor();
    await screenshots(page, "04-model");
  });

  await step("a rule toggled off is still off after a reload", page, async () => {
    await page.goto(`/models/${modelId}/rules`);
    const toggle = page.getByRole("switch", { name: /^Active:/ }).first();
    await toggle.waitFor();
    assert(await toggle.isChecked(), "the template's first rule starts active");
    await toggle.uncheck();
    await page.waitForTimeout(500);
    await page.reload();
    await page.getByRole("switch", { name: /^Active:/ }).first().waitFor();
    assert(!(await page.getByRole("switch", { name: /^Active:/ }).first().isChecked()), "the rule is active again after a reload");
    await screenshots(page, "06-rules");
  });

  await step("replays the run with a rule changed and compares the two runs", page, async () => {
    await page.goto(`/runs/${runA}`);
    await page.getByRole("button", { name: /replay with other rules/i }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    // Wait for the run's rules to load, then turn the position cap off.
    const rules = dialog.getByRole("list", { name: "Rules" });
    await rules.waitFor();
    const cap = rules.locator("#replay-max_position-active");
    await cap.uncheck();
    assert(!(await cap.isChecked()), "the max_position rule is still on in the replay dialog");
    await dialog.getByRole("button", { name: "Start the replay" }).click();
    await page.waitForURL((url) => /\/runs\/\d+$/.test(url.pathname) && !url.pathname.endsWith(`/${runA}`));
    runB = Number(page.url().match(/\/runs\/(\d+)$/)[1]);
    await page.locator('[aria-label="Status: completed"], [aria-label="Status: halted"]').first().waitFor({ timeout: 60_000 });
    await page.goto(`/compare?runs=${runA},${runB}`);
    await page.getByRole("table", { name: "Metrics side by side" }).waitFor();
    await page.getByRole("table", { name: "Snapshot differences" }).waitFor();
    await page.waitForTimeout(500);
    assert(await chartIsDrawn(page, "Equity curves"), "the compare chart's canvas has only background pixels");
    await screenshots(page, "07-compare");
  });

  await step("the leaderboard ranks the runs", page, async () => {
    await page.goto("/leaderboard");
    await page.getByRole("link", { name: /Swing AAPL#1/ }).first().waitFor();
    await screenshots(page, "08-leaderboard");
  });

  await step("the back button returns to the previous page", page, async () => {
    await page.goto(`/models/${modelId}`);
    await page.goto(`/runs/${runA}`);
    await page.goBack();
    await page.waitForURL(new RegExp(`/models/${modelId}$`));
  });

  await step("the dashboard shows the model with its latest run", page, async () => {
    await page.goto("/");
    await page.getByText("Swing AAPL").first().waitFor();
    await screenshots(page, "09-dashboard");
  });

  pageErrors.push(...alice.errors);

  const bob = await newUser(browser, server.url);
  await step("a second user opening the first user's run sees Not found", bob.page, async () => {
    await bob.page.goto("/signup");
    await bob.page.getByLabel("E-mail").fill("bob@example.com");
    await bob.page.getByLabel(/^Password/).fill(PASSWORD);
    await bob.page.getByRole("button", { name: "Sign up" }).click();
    await bob.page.getByRole("link", { name: /create (your first )?model/i }).first().waitFor();
    await bob.page.goto(`/runs/${runA}`);
    await bob.page.getByRole("heading", { name: "Not found" }).waitFor();
    await screenshots(bob.page, "10-not-found");
  });

  await step("the admin's emergency stop halts a running run", page, async () => {
    server.cli(["users", "create", "admin@example.com", "--admin", "--password-stdin"], `${PASSWORD}\n`);
    // A model whose LLM answers slowly, so its run is still going when the admin acts.
    const slow = await page.evaluate(async (endpoint) => {
      const csrf = document.cookie.split("; ").find((c) => c.startsWith("tradelab_csrf="))?.split("=")[1] ?? "";
      const headers = { "content-type": "application/json", "x-csrf-token": decodeURIComponent(csrf) };
      const m = await fetch("/api/v1/models", {
        method: "POST",
        headers,
        body: JSON.stringify({
          name: "Slow LLM",
          strategy: "llm",
          llm: { base_url: endpoint, model: "e2e-slow", api_key_env: "TRADELAB_E2E_KEY", retries: 0, style: "decision" },
          symbols: ["AAPL"],
        }),
      });
      if (!m.ok) return { error: `model: ${m.status} ${await m.text()}` };
      const made = await m.json();
      const r = await fetch(`/api/v1/models/${made.id}/runs`, { method: "POST", headers, body: JSON.stringify({}) });
      if (!r.ok) return { error: `run: ${r.status} ${await r.text()}` };
      return { run: (await r.json()).id };
    }, model.url);
    assert(!slow.error, slow.error);
    await page.goto(`/runs/${slow.run}`);
    await page.locator('[aria-label="Status: running"]').first().waitFor({ timeout: 30_000 });

    const admin = await newUser(browser, server.url);
    await admin.page.goto("/login");
    await admin.page.getByLabel("E-mail").fill("admin@example.com");
    await admin.page.getByLabel("Password").fill(PASSWORD);
    await admin.page.getByRole("button", { name: "Log in" }).click();
    await admin.page.getByRole("link", { name: "Admin" }).click();
    await admin.page.getByRole("heading", { name: /admin/i }).first().waitFor();
    await admin.page.getByRole("button", { name: "Emergency stop…" }).click();
    await admin.page.getByRole("button", { name: "Yes, stop everything" }).click();
    await admin.page.getByText(/^ON — running runs were told to stop/).waitFor();
    await screenshots(admin.page, "11-admin");
    await page.locator('[aria-label="Status: stopped"], [aria-label="Status: halted"]').first().waitFor({ timeout: 30_000 });
    await screenshots(page, "12-run-stopped");
    await admin.page.getByRole("button", { name: "Resume runs…" }).click();
    await admin.page.getByRole("button", { name: "Yes, resume" }).click();
    await admin.page.getByText(/^Off — runs are accepted/).waitFor();
    pageErrors.push(...admin.errors);
  });

  await step("an online learner's run page shows its calibration and snapshots", page, async () => {
    const made = await page.evaluate(async () => {
      const csrf = document.cookie.split("; ").find((c) => c.startsWith("tradelab_csrf="))?.split("=")[1] ?? "";
      const headers = { "content-type": "application/json", "x-csrf-token": decodeURIComponent(csrf) };
      const m = await fetch("/api/v1/models", {
        method: "POST",
        headers,
        body: JSON.stringify({
          name: "Learner",
          strategy: "online_learner",
          params: { snapshot_every: "500", min_samples: "100" },
          symbols: ["AAPL"],
        }),
      });
      if (!m.ok) return { error: `model: ${m.status} ${await m.text()}` };
      const model = await m.json();
      const r = await fetch(`/api/v1/models/${model.id}/runs`, { method: "POST", headers, body: JSON.stringify({}) });
      if (!r.ok) return { error: `run: ${r.status} ${await r.text()}` };
      return { run: (await r.json()).id };
    });
    assert(!made.error, made.error);
    await page.goto(`/runs/${made.run}`);
    await page.locator('[aria-label="Status: completed"]').first().waitFor({ timeout: 60_000 });
    await page.reload();
    await page.getByRole("heading", { name: "Learner" }).waitFor();
    await page.getByText("Brier score").waitFor();
    await page.getByRole("table", { name: "Reliability" }).waitFor();
    const versions = await page.getByRole("table", { name: "Snapshots" }).locator("tbody tr").count();
    assert(versions >= 2, `the learner's run lists ${versions} snapshots`);
    await page.getByText(/--warm-start Learner#1@VERSION/).waitFor();
    await screenshots(page, "13a-learner-run");
  });

  await step("the API docs page renders every operation of the OpenAPI document", page, async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).filter((k) => ["get", "post", "put", "patch", "delete"].includes(k)).length, 0);
    await page.goto("/api/docs");
    await page.locator("details.op").first().waitFor();
    const shown = await page.locator("details.op").count();
    assert(shown === operations, `the docs page shows ${shown} operations, the document has ${operations}`);
    await screenshots(page, "13-api-docs");
  });

  // Last: it restarts the server (the pages above are bound to its old address).
  const aliceSeen = alice.errors.length;
  pageErrors.push(...(await liveChecks({ browser, server, page, modelId, email: "alice@example.com", password: PASSWORD })));
  pageErrors.push(...alice.errors.slice(aliceSeen));

  await step("no page logged an error", null, async () => {
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  });
} finally {
  await browser.close();
  await server.stop();
  await model.close();
}

const failures = failed();
console.log(failures === 0 ? "all browser checks passed" : `${failures} browser check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
