// DAISY Ace over many EPUBs in one Node process and one Chromium; scripts/ace.py
// starts it: node scripts/ace-service.js .tools/ace
//
// Ace's command line (ace-cli) checks one EPUB a run, and each run starts Node,
// loads Ace and launches Chromium again. This runs the same @daisy/ace-core
// function with the same Puppeteer runner that ace-cli uses, but launches the
// browser once and keeps it until standard input ends. Each line on standard
// input is {"epub": PATH, "outdir": DIR}: the EPUB is checked as
// `ace-cli --lang en --outdir DIR --force PATH` checks it, report.json and all,
// and one line on standard output answers: {"ok": true} or {"error": "..."}.
// The first line out is {"ready": true}; anything else Ace prints goes to
// standard error.
'use strict';

const readline = require('readline');

const prefix = process.argv[2]; // where scripts/setup-ace.sh installed @daisy/ace-cli
const load = (name) => require(require.resolve(name, { paths: [prefix] }));

const answer = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

const ace = load('@daisy/ace-core');
const runner = load('@daisy/ace-axe-runner-puppeteer');
load('@daisy/ace-logger').initLogger({ verbose: false, silent: false, fileName: 'ace-service.log' });

// Ace launches the runner's browser before each EPUB's documents and closes it
// after them: launch it once, close it at the end.
const launch = runner.launch.bind(runner);
const close = runner.close.bind(runner);
let browser = null;
runner.launch = () => {
  browser = browser || launch().catch((error) => { browser = null; throw error; });
  return browser;
};
runner.close = async () => {};

async function check(line) {
  let reply;
  try {
    const job = JSON.parse(line);
    await ace(job.epub, { cwd: process.cwd(), outdir: job.outdir, lang: 'en', verbose: false, silent: false,
                          jobId: '' }, runner);
    reply = { ok: true };
  } catch (error) {
    const said = error && error.message ? error.message : String(error || '');
    reply = { error: said || 'Ace failed; its log is on standard error' };
  }
  answer(JSON.stringify(reply) + '\n');
}

let queue = Promise.resolve();
const requests = readline.createInterface({ input: process.stdin });
requests.on('line', (line) => { queue = queue.then(() => check(line)); });
requests.on('close', () => {
  queue.then(async () => {
    if (browser) {
      try { await browser; await close(); } catch (_error) { /* it never started */ }
    }
    process.exit(0);
  });
});
answer(JSON.stringify({ ready: true }) + '\n');
