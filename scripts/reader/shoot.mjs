// Take the reader screenshots: drives Chromium (puppeteer-core) on reader.html,
// where epub.js renders the EPUB as a reading system would.
//
//   node scripts/reader/shoot.mjs URL OUT_DIR
//
// URL is reader.html as served by screenshots.sh (which also serves the EPUB).
// Writes OUT_DIR/epub-cover.png, epub-contents.png and epub-author-table.png.
// Environment: CHROMIUM (default /usr/bin/chromium), READER_WIDTH and
// READER_HEIGHT (default 600 x 900 CSS pixels), READER_TOOLS (the folder whose
// node_modules holds puppeteer-core; default .tools/reader), READER_FONT_SIZE
// (the reader's text size setting, e.g. 150%), READER_EVERY_PAGE=DIR (also
// write every page of the book, in reading order, as DIR/NNN.png: for review).
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const tools = process.env.READER_TOOLS || path.join(root, ".tools", "reader");
const require = createRequire(path.join(tools, "package.json"));

function die(message) {
  console.error(`reader-shoot: error: ${message}`);
  process.exit(1);
}

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) die("usage: node shoot.mjs URL OUT_DIR");

let puppeteer;
try {
  puppeteer = require("puppeteer-core");
} catch (err) {
  die(`puppeteer-core is not installed in ${tools} (run scripts/reader/setup.sh): ${err.message}`);
}

const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
const width = Number(process.env.READER_WIDTH || 600);
const height = Number(process.env.READER_HEIGHT || 900);
const fontSize = process.env.READER_FONT_SIZE || "";
const STEP_TIMEOUT = 30_000;

mkdirSync(outDir, { recursive: true });
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(2)} s`;
const log = (message) => console.log(`reader-shoot: ${message}  (${elapsed()})`);

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--hide-scrollbars",
    "--font-render-hinting=none",
  ],
  defaultViewport: { width, height, deviceScaleFactor: 1 },
  timeout: STEP_TIMEOUT,
  protocolTimeout: 2 * STEP_TIMEOUT,
}).catch((err) => die(`cannot start ${chromium}: ${err.message}`));

let status = 0;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    // epub.js 0.3.93 logs this from its own page-location code when a page ends
    // inside a long run of inline elements (a highlighted code block); the page
    // renders as it should, so it is noted, not counted as the book's problem.
    if (msg.type() === "error" && msg.text().startsWith("setting end offset to start container length failed")) {
      log(`note: epub.js: ${msg.text()}`);
      return;
    }
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("requestfailed", (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  // Everything is served from 127.0.0.1: refuse any other host, so a stray
  // remote font or script shows up as a failure rather than a hang.
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (["http:", "https:"].includes(u.protocol) && u.hostname !== "127.0.0.1") {
      problems.push(`blocked request to another host: ${req.url()}`);
      req.abort();
    } else {
      req.continue();
    }
  });

  const call = async (what, fn, ...args) => {
    try {
      return await page.evaluate(fn, ...args);
    } catch (err) {
      const readerError = await page.evaluate(() => window.reader && window.reader.error).catch(() => null);
      throw new Error(`${what}: ${readerError || err.message}${problems.length ? "\n  " + problems.join("\n  ") : ""}`);
    }
  };
  const shoot = async (name, info) => {
    const file = path.join(outDir, name);
    await page.screenshot({ path: file });
    log(`${file}  ${JSON.stringify(info)}`);
  };

  const target = fontSize ? `${url}${url.includes("?") ? "&" : "?"}fontSize=${encodeURIComponent(fontSize)}` : url;
  await page.goto(target, { waitUntil: "load" });
  const book = await call("opening the EPUB", () => window.reader.ready);
  log(`opened "${book.title}": ${book.spine.length} spine items, ${book.toc.length} contents entries`);

  // 1. The first spine item: the cover page.
  const cover = await call("showing the cover", (href) => window.reader.show(href), book.spine[0]);
  await shoot("epub-cover.png", cover);

  // 2. The EPUB 3 nav document, as a page of the book.
  const nav = await call("finding the nav document", () => window.reader.navHref());
  if (!nav) throw new Error("the EPUB has no nav document in its spine");
  const contents = await call("showing the contents", (href) => window.reader.show(href), nav);
  await shoot("epub-contents.png", contents);

  // 3. The page of the first section with a table (the author table).
  const section = await call("looking for a table", () => window.reader.findSection("table"));
  if (!section) throw new Error("no section of the EPUB has a table");
  await call("showing the table's section", (href) => window.reader.show(href), section);
  const table = await call("going to the table", () => window.reader.findPage("table"));
  if (table.firstPage !== table.lastPage) {
    log(`note: the table spans pages ${table.firstPage}-${table.lastPage} of its section; showing page ${table.firstPage}`);
  }
  if (table.width > table.pageWidth) {
    log(`note: the table is ${table.width} px wide on a ${table.pageWidth} px page: it overflows`);
  }
  await shoot("epub-author-table.png", table);

  // 4. Sections asked for by name: READER_SHOW="ch-01-code.xhtml=epub-code.png,...";
  // "ch-02.xhtml#fig-map=x.png" shows the page of that element.
  for (const pair of (process.env.READER_SHOW || "").split(",").filter(Boolean)) {
    const [target, name] = pair.split("=");
    const [href, id] = target.split("#");
    let shown = await call(`showing ${href}`, (h) => window.reader.show(h), href);
    if (id) shown = await call(`going to #${id}`, (s) => window.reader.findPage(s), `[id="${id}"]`);
    await shoot(name, shown);
  }

  const everyPage = process.env.READER_EVERY_PAGE;
  if (everyPage) {
    mkdirSync(everyPage, { recursive: true });
    let where = await call("going to the start", (href) => window.reader.show(href), book.spine[0]);
    for (let n = 1; n <= 500; n += 1) {
      const file = path.join(everyPage, `${String(n).padStart(3, "0")}.png`);
      await page.screenshot({ path: file });
      const next = await call("turning the page", () => window.reader.next());
      if (!next || (next.cfi === where.cfi && next.href === where.href)) {
        log(`${n} pages of the whole book in ${everyPage}`);
        break;
      }
      where = next;
    }
  }

  if (problems.length) throw new Error(`the reader reported problems:\n  ${problems.join("\n  ")}`);
} catch (err) {
  console.error(`reader-shoot: error: ${err.message}`);
  status = 1;
} finally {
  await browser.close().catch(() => {});
}
process.exit(status);
