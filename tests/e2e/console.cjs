// Browser end-to-end test of the web console, run by crates/cli/tests/e2e_console.rs against
// the real `dialtone serve`: headless Debian Chromium driven by puppeteer-core.
//
// It signs in, watches a REST-created call to a simulated softphone appear in the call list
// and reach `completed` without a reload (the page is never navigated; a marker on `window`
// survives), opens a call whose application answered a broken TwiML document and finds the
// diagnostic at its line, plays that first call's recording in the page, sees a forged CSRF
// request refused (403, nothing created), and sees an injected <script> shown as text and not
// run. Screenshots of the call list and of a call's timeline go to $DIALTONE_SHOTS.
//
// Environment: DIALTONE_URL, DIALTONE_ACCOUNT_SID, DIALTONE_AUTH_TOKEN, DIALTONE_CHROMIUM,
// DIALTONE_SHOTS; puppeteer-core is found through NODE_PATH.
"use strict";

const http = require("node:http");
const path = require("node:path");
const puppeteer = require("puppeteer-core");

const BASE = process.env.DIALTONE_URL;
const SID = process.env.DIALTONE_ACCOUNT_SID;
const TOKEN = process.env.DIALTONE_AUTH_TOKEN;
const CHROMIUM = process.env.DIALTONE_CHROMIUM;
const SHOTS = process.env.DIALTONE_SHOTS;
const AUTH = "Basic " + Buffer.from(`${SID}:${TOKEN}`).toString("base64");

let passed = 0;
function check(condition, what) {
  if (!condition) throw new Error(`FAILED: ${what}`);
  passed += 1;
  console.log(`ok - ${what}`);
}

// The documents the application answers. Line 4 of /broken is an element TwiML does not
// know, and it is also a <script> tag: the console must show it as text.
const VOICE = '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Hello from the console test.</Say>\n  <Pause length="2"/>\n</Response>\n';
const BROKEN = '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Checking the console.</Say>\n  <script>window.pwned = true;</script>\n  <Hangup/>\n</Response>\n';
const INJECTED = "<script>window.pwned = true;</script>";

function startApp() {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const url = new URL(req.url, "http://x");
        if (url.pathname === "/voice") {
          res.writeHead(200, { "Content-Type": "text/xml" });
          res.end(VOICE);
        } else if (url.pathname === "/broken") {
          res.writeHead(200, { "Content-Type": "text/xml" });
          res.end(BROKEN);
        } else {
          res.writeHead(204);
          res.end();
        }
      });
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

async function api(method, urlPath, params) {
  const res = await fetch(BASE + urlPath, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/x-www-form-urlencoded" },
    body: params ? new URLSearchParams(params).toString() : undefined,
  });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch (_) { body = text; }
  return { status: res.status, body };
}

const calls = `/2010-04-01/Accounts/${SID}/Calls`;

async function waitFor(what, predicate, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const app = await startApp();
  const appUrl = `http://127.0.0.1:${app.address().port}`;
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-gpu"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));

    // Sign in, with a wrong token first.
    await page.goto(`${BASE}/console/calls`);
    check(page.url().startsWith(`${BASE}/console/login`), "an anonymous visit lands on the sign-in form");
    await page.type("input[name=Username]", SID);
    await page.type("input[name=Password]", "wrong-token");
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    check((await page.$eval("p.error", (e) => e.textContent)).includes("not valid"), "a wrong token is refused");
    await page.$eval("input[name=Username]", (e) => { e.value = ""; });
    await page.type("input[name=Username]", SID);
    await page.type("input[name=Password]", TOKEN);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    check(page.url() === `${BASE}/console/calls`, "signing in opens the call list");
    const cookies = await page.cookies();
    const session = cookies.find((c) => c.name === "dialtone_console");
    check(session && session.httpOnly && session.sameSite === "Strict", "the session cookie is HttpOnly and SameSite=Strict");
    await page.waitForFunction(() => document.getElementById("live-state").className === "on");

    // A call appears and completes without a reload.
    await page.evaluate(() => { window.__notReloaded = "still here"; });
    const phone = await api("POST", "/sim/v1/Clients", { Identity: "alice", AnswerAfter: "0.5", Audio: "tone:440" });
    check(phone.status === 201, `a softphone is registered (${phone.status})`);
    const first = await api("POST", `${calls}.json`, {
      To: "client:alice", From: "+15550001111", Url: `${appUrl}/voice`, Record: "true",
      StatusCallback: `${appUrl}/status`,
    });
    check(first.status === 201, `a call is created (${first.status})`);
    const sid1 = first.body.sid;
    const row = `#call-${sid1}`;
    await page.waitForSelector(row, { timeout: 15000 });
    const seen = await page.$eval(row, (r) => r.dataset.status);
    check(seen !== "completed", `the call appears while it is ${seen}`);
    await page.waitForSelector(`${row}[data-status="completed"]`, { timeout: 30000 });
    check(await page.evaluate(() => window.__notReloaded === "still here"), "the call reached completed without a reload");

    // A call whose application answers a broken document, and one nobody answers.
    const second = await api("POST", `${calls}.json`, { To: "client:alice", From: "+15550002222", Url: `${appUrl}/broken` });
    check(second.status === 201, "a second call is created");
    const sid2 = second.body.sid;
    const third = await api("POST", `${calls}.json`, { To: "client:nobody", From: "+15550003333", Url: `${appUrl}/voice` });
    check(third.status === 201, "a call to an unregistered client is created");
    await page.waitForSelector(`#call-${sid2}[data-status="completed"]`, { timeout: 30000 });
    await page.waitForSelector(`#call-${third.body.sid}:not([data-status="queued"]):not([data-status="initiated"])`, { timeout: 30000 });
    check(await page.evaluate(() => window.__notReloaded === "still here"), "more calls arrived live");
    await new Promise((r) => setTimeout(r, 1600)); // the "changed" highlight fades
    await page.screenshot({ path: path.join(SHOTS, "console-calls.png") });
    await Promise.all([page.waitForNavigation(), page.click(`#call-${sid2} a.sid`)]);
    check(page.url() === `${BASE}/console/calls/${sid2}`, "the call's page opens from the list");
    const entries = await page.$$eval("#timeline li", (lis) => lis.map((l) => l.textContent));
    check(entries.some((t) => t.includes("Created")) && entries.some((t) => t.includes("TwiML fetch")), `the timeline shows the creation and the TwiML fetch (${entries.length} entries)`);
    const statuses = await page.$$eval("#timeline li .badge[data-status]", (bs) => bs.map((b) => b.dataset.status));
    check(JSON.stringify(statuses) === JSON.stringify(["queued", "ringing", "in-progress", "completed"]), `the timeline shows every status in order: ${statuses.join(", ")}`);
    const diag = await page.$eval('#documents li[data-line="4"] .diag', (d) => d.textContent);
    check(diag.includes("line 4"), `the broken document's diagnostic is at line 4: ${diag.trim()}`);
    const line4 = await page.$eval('#documents li[data-line="4"] code', (c) => c.textContent);
    check(line4.trim() === INJECTED, "the injected <script> is shown as text in the document");
    const body = await page.$eval("#webhooks pre.body", (p) => p.textContent);
    check(body.includes(INJECTED), "the webhook's response body shows the <script> as text");
    check(await page.evaluate(() => window.pwned === undefined), "the injected script did not run");
    await page.$eval("#timeline", (t) => t.scrollIntoView());
    await page.screenshot({ path: path.join(SHOTS, "console-call.png"), fullPage: true });

    // The first call's recording plays in the page.
    await waitFor("the recording to complete", async () => {
      const r = await api("GET", `${calls}/${sid1}/Recordings.json`);
      return r.body.recordings && r.body.recordings.some((x) => x.status === "completed");
    });
    await page.goto(`${BASE}/console/calls/${sid1}`);
    const played = await page.$eval("#recordings audio", (a) => new Promise((resolve) => {
      const done = (why) => resolve({ why, time: a.currentTime, duration: a.duration, error: a.error && a.error.code });
      a.addEventListener("error", () => done("error"));
      a.addEventListener("timeupdate", () => { if (a.currentTime > 0.3) done("playing"); });
      a.play().catch((e) => resolve({ why: "rejected " + e }));
      setTimeout(() => done("timeout"), 10000);
    }));
    check(played.why === "playing" && played.duration > 1, `the recording plays (${JSON.stringify(played)})`);
    const download = await page.$eval("#recordings a[download]", (a) => a.getAttribute("href"));
    const file = await page.evaluate(async (href) => {
      const r = await fetch(href);
      return { status: r.status, type: r.headers.get("content-type"), disposition: r.headers.get("content-disposition"), size: (await r.arrayBuffer()).byteLength };
    }, download);
    check(file.status === 200 && file.type === "audio/x-wav" && file.disposition.startsWith("attachment") && file.size > 1000, `the recording downloads (${JSON.stringify(file)})`);
    const heard = await page.evaluate(async (href) => {
      const r = await fetch(href);
      return { status: r.status, type: r.headers.get("content-type"), size: (await r.arrayBuffer()).byteLength };
    }, `/console/calls/${sid1}/heard.wav`);
    check(heard.status === 200 && heard.type === "audio/x-wav" && heard.size > 8000, `what the softphone heard is served to the player (${JSON.stringify(heard)})`);

    // The simulator page: a simulated WhatsApp user made through the form, the softphone.
    await page.goto(`${BASE}/console/whatsapp`);
    check((await page.$$eval("#softphones td.addr", (t) => t.map((x) => x.textContent))).includes("client:alice"), "the softphone is listed");
    await page.type("#users form.edit input[name=Number]", "+15550009999");
    await page.select("#users form.edit select[name=Permission]", "granted");
    await page.select("#users form.edit select[name=Behavior]", "busy");
    await Promise.all([page.waitForNavigation(), page.click("#users form.edit button[type=submit]")]);
    const user = await page.$eval("#user-15550009999", (r) => r.textContent);
    check(user.includes("granted") && user.includes("busy"), `a simulated WhatsApp user is created with its behaviour (${user.trim().slice(0, 80)})`);

    // A forged CSRF request is refused and changes nothing.
    const forged = await page.evaluate(async () => {
      const r = await fetch("/console/applications", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "csrf=forged&FriendlyName=forged",
        redirect: "manual",
      });
      return r.status;
    });
    check(forged === 403, `a forged CSRF token is refused (${forged})`);
    const apps = await api("GET", `/2010-04-01/Accounts/${SID}/Applications.json`);
    check(!apps.body.applications.some((a) => a.friendly_name === "forged"), "the forged request created nothing");

    // A name with a script, made through the console's own form, is shown as text.
    await page.goto(`${BASE}/console/applications`);
    await page.type("form.edit input[name=FriendlyName]", INJECTED);
    await Promise.all([page.waitForNavigation(), page.click("form.edit button[type=submit]")]);
    await page.goto(`${BASE}/console/applications`);
    const names = await page.$$eval("td.name", (tds) => tds.map((t) => t.textContent));
    check(names.includes(INJECTED), "the application's name is listed as text");
    check(await page.evaluate(() => window.pwned === undefined), "the name's script did not run");

    // Logging out ends the session.
    await Promise.all([page.waitForNavigation(), page.click("form.logout button")]);
    check(page.url().startsWith(`${BASE}/console/login`), "logging out returns to the sign-in form");
    await page.goto(`${BASE}/console/calls`);
    check(page.url().startsWith(`${BASE}/console/login`), "after logout the console asks to sign in again");
    check(pageErrors.length === 0, `no script errors (${pageErrors.join("; ")})`);
  } finally {
    await browser.close();
    app.close();
  }
  console.log(`console e2e: ${passed} passed, 0 failed`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
