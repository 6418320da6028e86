// The frontend side of the end-to-end tests, in one Node process:
//
// - Better Auth (auth.mjs) at /api/auth/* on http://localhost:3000: sign-up, sign-in,
//   /api/auth/token and /api/auth/jwks, one instance per variant (key algorithm, rotation);
// - one static page (page/index.html) and its script (page/main.ts, bundled with esbuild
//   together with the typed client of clients/typescript) at / and /app.js;
// - a control API for the test, under /__harness/: choose the variant, and run a scenario in
//   headless Chromium (browser.mjs), answering with what the page wrote.
//
// Port 3000 is preferred (E2E_PORT overrides); if it is taken, a free port is used instead and
// the origin printed says which. The one line on stdout is {"origin": ...} once serving; logs go
// to stderr. The process ends when stdin closes (the test ended) or on SIGTERM.
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

import { createAuth, VARIANTS } from "./auth.mjs";
import { closeBrowser, runPage } from "./browser.mjs";

// stdout carries the one ready line, and nobody reads it afterwards: logs go to stderr.
console.log = console.error;
console.info = console.error;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PREFERRED_PORT = Number(process.env.E2E_PORT ?? 3000);

async function bundlePage() {
  const built = await esbuild.build({
    entryPoints: [path.join(HERE, "page", "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    write: false,
    sourcemap: "inline",
    logLevel: "warning",
  });
  return built.outputFiles[0].text;
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address().port);
    });
  });
}

async function readJson(request) {
  const chunks = [];
  for await (const chunk of request) {
    chunks.push(chunk);
  }
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
}

function send(response, status, body, type = "application/json") {
  const text = type === "application/json" ? JSON.stringify(body) : body;
  response.writeHead(status, { "Content-Type": `${type}; charset=utf-8`, "Cache-Control": "no-store" });
  response.end(text);
}

async function main() {
  const [html, script] = await Promise.all([
    readFile(path.join(HERE, "page", "index.html"), "utf8"),
    bundlePage(),
  ]);
  let origin = "";
  let current = { name: "", handler: null };

  async function control(request, response, url) {
    if (url.pathname === "/__harness/health") {
      return send(response, 200, { variant: current.name, variants: Object.keys(VARIANTS) });
    }
    if (url.pathname === "/__harness/variant" && request.method === "POST") {
      const { variant } = await readJson(request);
      const { handler } = createAuth({ baseURL: origin, variant });
      current = { name: variant, handler };
      return send(response, 200, { variant, origin });
    }
    if (url.pathname === "/__harness/run" && request.method === "POST") {
      const { scenario, api, timeoutSeconds = 90 } = await readJson(request);
      const page = new URL("/", origin);
      page.search = new URLSearchParams({ scenario, api }).toString();
      const outcome = await runPage(page.href, { timeoutMs: timeoutSeconds * 1000 });
      return send(response, 200, { variant: current.name, page: page.href, ...outcome });
    }
    return send(response, 404, { detail: "unknown harness route" });
  }

  async function handle(request, response) {
    const url = new URL(request.url, origin);
    try {
      if (url.pathname.startsWith("/api/auth/")) {
        if (current.handler === null) {
          return send(response, 503, { detail: "no variant chosen: POST /__harness/variant" });
        }
        return await current.handler(request, response);
      }
      if (url.pathname.startsWith("/__harness/")) {
        return await control(request, response, url);
      }
      if (url.pathname === "/" && request.method === "GET") {
        return send(response, 200, html, "text/html");
      }
      if (url.pathname === "/app.js" && request.method === "GET") {
        return send(response, 200, script, "text/javascript");
      }
      return send(response, 404, { detail: "not found" });
    } catch (error) {
      console.error(`harness: ${request.method} ${url.pathname} failed:`, error);
      if (!response.headersSent) {
        send(response, 500, { detail: String(error) });
      }
    }
  }

  // localhost is 127.0.0.1 and ::1: serve both, so no client waits on the one that is missing.
  const ipv4 = http.createServer(handle);
  let port;
  try {
    port = await listen(ipv4, PREFERRED_PORT, "127.0.0.1");
  } catch (error) {
    if (error.code !== "EADDRINUSE") {
      throw error;
    }
    console.error(`harness: port ${PREFERRED_PORT} is taken; serving on a free port instead`);
    port = await listen(ipv4, 0, "127.0.0.1");
  }
  const ipv6 = http.createServer(handle);
  await listen(ipv6, port, "::1").catch((error) => console.error(`harness: not on [::1]: ${error.code}`));
  origin = `http://localhost:${port}`;

  let stopping = false;
  async function stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    await closeBrowser();
    ipv4.close();
    ipv6.close();
    process.exit(0);
  }
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  process.stdout.write(`${JSON.stringify({ origin })}\n`);
}

main().catch((error) => {
  console.error("harness: could not start:", error);
  process.exit(1);
});
