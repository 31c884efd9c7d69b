// Live paper runs in the browser (issue 19): a replay-as-live run started from the model
// page shows as live on its run page and completes; runs left `interrupted` by a server
// shutdown offer Resume (a completed one does not), which picks one up again or shows
// the server's refusal; Stop ends a live run. Called by run.mjs once its own checks ran,
// since it restarts the server.

import { assert, newUser, screenshots, step } from "./harness.mjs";

/** 1,000 daily bars a second: a year of AAPL replayed as live in about a quarter second. */
const FAST = "86400000";

/** A run that went through its feed: completed, or halted by the template's drawdown rule. */
const ENDED = '[aria-label="Status: completed"], [aria-label="Status: halted"]';

/** The model page's form set to a replay-as-live run of 2012 at `speed`. */
async function fillLiveForm(page, modelId, speed) {
  await page.goto(`/models/${modelId}`);
  await page.locator("#run-kind-live").check();
  await page.locator("#run-feed-replay").check();
  await page.locator("#run-from").fill("2012-01-01");
  await page.locator("#run-to").fill("2012-12-31");
  await page.locator("#run-speed").fill(speed);
}

/** Starts a replay-as-live run from the model page; resolves with its id once its page shows. */
async function startLive(page, modelId, speed) {
  await fillLiveForm(page, modelId, speed);
  await page.getByRole("button", { name: "Start live run" }).click();
  await page.waitForURL(/\/runs\/\d+$/);
  return Number(page.url().match(/\/runs\/(\d+)$/)[1]);
}

/** A POST from the page (its session and CSRF token): the status and the answer. */
async function post(page, path, body) {
  return page.evaluate(
    async ({ path, body }) => {
      const csrf = document.cookie.split("; ").find((c) => c.startsWith("tradelab_csrf="))?.split("=")[1] ?? "";
      const r = await fetch(`/api/v1${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": decodeURIComponent(csrf) },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: await r.text() };
    },
    { path, body },
  );
}

/**
 * The live checks, as `email` (password `password`) with their model `modelId` on
 * `server`; `page` is that user's signed-in page. Returns the console errors of the
 * pages it opened.
 */
export async function liveChecks({ browser, server, page, modelId, email, password }) {
  const errors = [];
  let slowA; // two runs waiting a day for their next bar, interrupted by a restart
  let slowB;

  await step("live: a bad replay speed is shown next to its field", page, async () => {
    await fillLiveForm(page, modelId, "0");
    await page.getByRole("button", { name: "Start live run" }).click();
    const error = page.locator("#run-speed-error");
    await error.waitFor();
    assert(/positive/.test(await error.innerText()), `the speed error says: ${await error.innerText()}`);
    assert((await page.locator("#run-speed").getAttribute("aria-invalid")) === "true", "the speed input is not marked invalid");
    await screenshots(page, "14-live-start-form");
  });

  await step("live: a replay-as-live run started from the model page shows as live and completes", page, async () => {
    const id = await startLive(page, modelId, FAST);
    await page.locator(".badge.live-source").waitFor();
    await page.locator(ENDED).first().waitFor({ timeout: 60_000 });
    await page.getByText("Live feed, paper trading").waitFor();
    await page.getByRole("heading", { name: "Feed events" }).waitFor();
    await page.getByRole("heading", { name: "Metrics" }).waitFor();
    assert((await page.getByRole("button", { name: "Resume" }).count()) === 0, `completed live run ${id} offers Resume`);
    await screenshots(page, "15-live-run-completed");
  });

  await step("live: slow replay-as-live runs trade live until the server shuts down", page, async () => {
    slowA = await startLive(page, modelId, "1");
    await page.locator('[aria-label="Status: running"]').first().waitFor({ timeout: 30_000 });
    await page.getByRole("heading", { name: "Trading live (paper)" }).waitFor();
    assert((await page.getByRole("button", { name: "Stop" }).count()) === 1, "a running live run has no Stop");
    assert((await page.getByRole("button", { name: "Resume" }).count()) === 0, "a running live run offers Resume");
    await screenshots(page, "16-live-run-running");
    slowB = await startLive(page, modelId, "1");
    await page.locator('[aria-label="Status: running"]').first().waitFor({ timeout: 30_000 });
    // Leave the page first: its live stream would log the server going away.
    await page.goto("about:blank");
    await server.restart();
  });

  const again = await newUser(browser, server.url);
  again.page.setDefaultTimeout(20_000);
  await step("live: after the restart an interrupted live run resumes from its page and completes", again.page, async () => {
    const p = again.page;
    await p.goto("/login");
    await p.getByLabel("E-mail").fill(email);
    await p.getByLabel("Password").fill(password);
    await p.getByRole("button", { name: "Log in" }).click();
    await p.waitForURL((url) => !url.pathname.startsWith("/login"));
    await p.goto(`/runs/${slowA}`);
    await p.locator('[aria-label="Status: interrupted"]').first().waitFor();
    await p.getByText(/Stored bars replayed at 1×/).first().waitFor();
    await p.getByText(/server shut down/).first().waitFor();
    await p.getByRole("heading", { name: "Price and trades" }).waitFor();
    await p.waitForTimeout(500);
    const shown = await p.locator(".state.error").allInnerTexts();
    assert(shown.length === 0, `the interrupted run's page shows an error: ${shown.join("; ")}`);
    await screenshots(p, "17-live-run-interrupted");
    await p.getByRole("button", { name: "Resume" }).click();
    const dialog = p.getByRole("dialog");
    assert(await dialog.locator("#resume-feed-replay").isChecked(), "the resume dialog does not start on the replayed feed");
    const keptSpeed = await dialog.locator("#resume-speed").inputValue();
    assert(keptSpeed === "1", `the resume dialog does not start at the run's own speed: ${keptSpeed}`);
    await dialog.locator("#resume-speed").fill("-5");
    await dialog.getByRole("button", { name: "Resume the run" }).click();
    await dialog.locator("#resume-speed-error").waitFor();
    await dialog.locator("#resume-speed").fill(FAST);
    await dialog.getByRole("button", { name: "Resume the run" }).click();
    await p.locator(ENDED).first().waitFor({ timeout: 60_000 });
    assert((await p.getByRole("button", { name: "Resume" }).count()) === 0, "a completed live run offers Resume");
  });

  await step("live: a refused resume shows the server's reason, and Stop ends a live run", again.page, async () => {
    const p = again.page;
    await p.goto(`/runs/${slowB}`);
    await p.locator('[aria-label="Status: interrupted"]').first().waitFor();
    await p.getByRole("button", { name: "Resume" }).click();
    const dialog = p.getByRole("dialog");
    await dialog.waitFor();
    // Meanwhile the run is resumed elsewhere (here: the API), slowly: it stays running.
    const elsewhere = await post(p, `/runs/${slowB}/resume`, { feed: "replay", speed: 1 });
    assert(elsewhere.status === 202, `resuming over the API: ${elsewhere.status} ${elsewhere.body}`);
    await dialog.locator("#resume-speed").fill(FAST);
    await dialog.getByRole("button", { name: "Resume the run" }).click();
    const refusal = dialog.locator("#resume-error");
    await refusal.waitFor();
    assert(/running/.test(await refusal.innerText()), `the refusal says: ${await refusal.innerText()}`);
    await screenshots(p, "18-live-resume-refused");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await p.reload();
    await p.locator('[aria-label="Status: running"]').first().waitFor();
    await p.getByRole("button", { name: "Stop" }).click();
    await p.getByRole("button", { name: "Stop the run" }).click();
    await p.locator('[aria-label="Status: stopped"]').first().waitFor({ timeout: 30_000 });
  });

  errors.push(...again.errors);
  await again.context.close();
  return errors;
}
