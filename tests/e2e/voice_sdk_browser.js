// Drives an unmodified @twilio/voice-sdk (its published dist/twilio.min.js) in Debian's headless
// Chromium through puppeteer-core, against Dialtone's Voice SDK signalling.
//
// Input (environment):
//   DIALTONE_SDK_CHUNDERW  host:port of Dialtone's TLS listener (the Device's chunderw option)
//   DIALTONE_SDK_TOKEN     the access token (minted by twilio-python)
//   DIALTONE_SDK_TONE_WAV  the WAV the fake microphone plays
//   DIALTONE_SDK_DIGITS    digits pressed once an incoming call is accepted (sendDigits)
//   DIALTONE_SDK_HEAR_HZ   the tone the page listens for in the call's received audio
//   DIALTONE_SDK_MODULES   node_modules holding puppeteer-core and @twilio/voice-sdk
//   DIALTONE_CHROMIUM      the browser binary [default: /usr/bin/chromium]
// Output: one JSON object per line on stdout, {"event": ..., ...}: registered, incoming
// (with the call's parameters), accepted, digits-sent, tone (the received-audio analysis),
// disconnected, offline (requests that left the loopback), error, done. Commands on stdin, one per line: `hangup`, `quit`.
//
// The page answers every incoming call, presses the digits 2 s after it is accepted, and
// measures, every 100 ms, the power of DIALTONE_SDK_HEAR_HZ in the remote audio (Goertzel on
// an AnalyserNode's time-domain data) relative to the frame's total power.

"use strict";

const http = require("http");
const path = require("path");
const fs = require("fs");
const readline = require("readline");

const modules = process.env.DIALTONE_SDK_MODULES;
const need = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`missing ${name}`);
    process.exit(2);
  }
  return v;
};
const puppeteer = require(path.join(need("DIALTONE_SDK_MODULES"), "puppeteer-core"));
const sdkFile = path.join(modules, "@twilio/voice-sdk/dist/twilio.min.js");

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Dialtone Voice SDK e2e</title>
<script src="/twilio.min.js"></script></head><body><script>
(async () => {
  const cfg = await window.config();
  const report = (event, data) => window.report(JSON.stringify(Object.assign({ event }, data || {})));
  const device = new Twilio.Device(cfg.token, {
    chunderw: cfg.chunderw,
    publishEvents: false,
    codecPreferences: ["opus", "pcmu"],
    logLevel: "warn",
    // Every sound from this page's origin (silence): nothing may need the internet.
    sounds: Object.fromEntries(
      ["incoming", "outgoing", "disconnect", "dtmfs", "dtmfh"]
        .concat([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => "dtmf" + d))
        .map((name) => [name, "/sounds/silence.wav"])
    ),
  });
  device.on("error", (e) => report("error", { code: e.code, message: e.message }));
  device.on("registered", () => report("registered", { identity: device.identity }));
  device.on("incoming", (call) => {
    report("incoming", { parameters: call.parameters, custom: Array.from(call.customParameters || []) });
    call.on("accept", () => {
      report("accepted", { sid: call.parameters.CallSid });
      const ctx = new AudioContext();
      const source = ctx.createMediaStreamSource(call.getRemoteStream());
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 2048;
      source.connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      const samples = [];
      window.__samples = samples;
      const timer = setInterval(() => {
        analyser.getFloatTimeDomainData(buf);
        const w = 2 * Math.PI * cfg.hearHz / ctx.sampleRate;
        let s1 = 0, s2 = 0, total = 0;
        for (let i = 0; i < buf.length; i++) {
          const s0 = buf[i] + 2 * Math.cos(w) * s1 - s2;
          s2 = s1; s1 = s0; total += buf[i] * buf[i];
        }
        const power = s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2;
        // Share of the frame's energy at the tone (1.0 for a pure tone).
        const share = total > 1e-9 ? (2 * power / buf.length) / total : 0;
        samples.push({ share: Math.round(share * 1000) / 1000, rms: Math.sqrt(total / buf.length) });
      }, 100);
      setTimeout(() => {
        call.sendDigits(cfg.digits);
        report("digits-sent", { digits: cfg.digits });
      }, 2000);
      call.on("disconnect", () => {
        clearInterval(timer);
        report("tone", { hz: cfg.hearHz, samples });
        report("disconnected", {});
      });
      window.__hangup = () => call.disconnect();
    });
    call.on("cancel", () => report("cancel", {}));
    call.on("error", (e) => report("call-error", { code: e.code, message: e.message }));
    call.accept();
  });
  await device.register();
})().catch((e) => window.report(JSON.stringify({ event: "error", message: String(e) })));
</script></body></html>`;

async function main() {
  const config = {
    chunderw: need("DIALTONE_SDK_CHUNDERW"),
    token: need("DIALTONE_SDK_TOKEN"),
    digits: process.env.DIALTONE_SDK_DIGITS || "",
    hearHz: Number(process.env.DIALTONE_SDK_HEAR_HZ || "1000"),
  };
  const wav = need("DIALTONE_SDK_TONE_WAV");
  const sdk = fs.readFileSync(sdkFile);
  // 0.1 s of 8 kHz 16-bit mono silence.
  const silence = Buffer.alloc(44 + 1600);
  silence.write("RIFF", 0); silence.writeUInt32LE(36 + 1600, 4); silence.write("WAVEfmt ", 8);
  silence.writeUInt32LE(16, 16); silence.writeUInt16LE(1, 20); silence.writeUInt16LE(1, 22);
  silence.writeUInt32LE(8000, 24); silence.writeUInt32LE(16000, 28); silence.writeUInt16LE(2, 32);
  silence.writeUInt16LE(16, 34); silence.write("data", 36); silence.writeUInt32LE(1600, 40);
  const outside = [];
  const server = http.createServer((req, res) => {
    if (req.url === "/sounds/silence.wav") {
      res.writeHead(200, { "Content-Type": "audio/wav" });
      res.end(silence);
    } else if (req.url === "/twilio.min.js") {
      res.writeHead(200, { "Content-Type": "application/javascript" });
      res.end(sdk);
    } else {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(PAGE);
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const browser = await puppeteer.launch({
    executablePath: process.env.DIALTONE_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wav}`,
      "--autoplay-policy=no-user-gesture-required",
      // Dialtone's TLS listener uses a self-signed certificate made at start.
      "--ignore-certificate-errors",
    ],
  });
  const page = await browser.newPage();
  let finished;
  const done = new Promise((ok) => (finished = ok));
  await page.exposeFunction("config", () => config);
  await page.exposeFunction("report", (text) => {
    const obj = JSON.parse(text);
    emit(obj);
    if (obj.event === "disconnected") finished();
  });
  // Requests leaving the page's own origin and Dialtone (there must be none).
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.hostname !== "127.0.0.1") outside.push(r.url());
  });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") process.stderr.write(`[page ${m.type()}] ${m.text()}\n`);
  });
  page.on("pageerror", (e) => emit({ event: "error", message: String(e) }));
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", async (line) => {
    if (line.trim() === "hangup") await page.evaluate(() => window.__hangup && window.__hangup());
    if (line.trim() === "quit") finished();
  });
  rl.on("close", () => finished());
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const timeout = setTimeout(() => {
    emit({ event: "error", message: "timed out after 90 s" });
    finished();
  }, 90000);
  await done;
  clearTimeout(timeout);
  emit({ event: "offline", outside });
  await browser.close();
  server.close();
  emit({ event: "done" });
  process.exit(0);
}

main().catch((e) => {
  emit({ event: "error", message: String(e && e.stack || e) });
  process.exit(1);
});
