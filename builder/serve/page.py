"""The preview's own pages: the preview page (shell) and a chapter's print view.

In: for the shell, nothing (it is static: its script reads /status.json and
listens to /events); for the print view, the chapter's title and what its layout
gave. Out: HTML text. The book itself is never marked up here: the reader view
shows the EPUB's own documents in the shell's frame, and the print view shows
images of the PDF's pages.
"""

from __future__ import annotations

from html import escape

from builder.model import Diagnostic

SHELL = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview</title>
<style>
  :root { color-scheme: light; font: 14px/1.4 system-ui, sans-serif; }
  body { margin: 0; height: 100vh; display: flex; flex-direction: column; background: #f3f1ec; }
  header { display: flex; gap: 1em; align-items: center; padding: .4em 1em; background: #2b2a28;
           color: #fff; }
  header strong { font-weight: 600; }
  header button { font: inherit; border: 1px solid #777; background: #444; color: #fff; padding: .15em .8em;
                  border-radius: 3px; cursor: pointer; }
  header button[aria-pressed="true"] { background: #e8e2d4; color: #222; }
  #status { margin-left: auto; opacity: .85; }
  #status.building { color: #ffd479; }
  #main { flex: 1; display: flex; min-height: 0; }
  aside { width: 15em; overflow: auto; border-right: 1px solid #d8d3c8; background: #faf9f6; }
  aside ol { list-style: none; margin: 0; padding: .5em 0; }
  aside a { display: block; padding: .2em 1em; color: #333; text-decoration: none; }
  aside a.kind-chapter { padding-left: 1.6em; }
  aside a[aria-current="page"] { background: #e8e2d4; font-weight: 600; }
  #preview { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  #problems { margin: 0; padding: .6em 1em; background: #fff4f2; border-bottom: 2px solid #c0392b;
              max-height: 40vh; overflow: auto; }
  #problems.warnings-only { background: #fffbea; border-color: #d4a017; }
  #problems h2 { font-size: 1em; margin: 0 0 .3em; }
  #problems ul { margin: 0; padding-left: 1.2em; }
  #problems code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
  #problems .error .level { color: #c0392b; font-weight: 600; }
  #problems .warning .level { color: #9a7400; font-weight: 600; }
  iframe { flex: 1; border: 0; background: #fff; }
</style>
</head>
<body>
<header>
  <strong id="title">Preview</strong>
  <button id="reader" type="button" aria-pressed="true">Reader</button>
  <button id="print" type="button" aria-pressed="false">Print</button>
  <span id="status" role="status">connecting…</span>
</header>
<div id="main">
  <aside aria-label="Contents"><ol id="pages"></ol></aside>
  <section id="preview" aria-label="The book">
    <div id="problems" role="alert" hidden></div>
    <iframe id="view" title="The book"></iframe>
  </section>
</div>
<script>
"use strict";
const view = document.getElementById("view");
const state = { mode: "reader", file: null, status: null, shown: "" };
const [mode, file] = decodeURIComponent(location.hash.slice(1)).split("/");
if (mode === "print") state.mode = "print";
if (file) state.file = file;

function chapterOf(file) {
  const pages = state.status ? state.status.pages : [];
  const page = pages.find(p => p.file === file && p.kind === "chapter");
  return page || pages.find(p => p.kind === "chapter");
}

function address() {
  if (!state.status || !state.status.pages.length) return "/nothing.html";
  if (!state.status.pages.some(p => p.file === state.file)) state.file = state.status.first;
  if (state.mode === "print") {
    const chapter = chapterOf(state.file);
    state.file = chapter.file;  // a page that is not a chapter prints as the first chapter
    const version = state.status.print[chapter.slug] || 0;
    return "/print/" + chapter.slug + ".html?v=" + version;
  }
  return "/book/" + state.file;
}

function show(reload) {
  const target = address();
  history.replaceState(null, "", "#" + state.mode + "/" + (state.file || ""));
  if (target === state.shown && reload && view.contentWindow) {
    view.contentWindow.location.reload();  // the same document again, where the reader was
  } else if (target !== state.shown) {
    view.src = target;
  }
  state.shown = target;
  document.getElementById("reader").setAttribute("aria-pressed", state.mode === "reader");
  document.getElementById("print").setAttribute("aria-pressed", state.mode === "print");
  for (const link of document.querySelectorAll("#pages a")) {
    const current = state.mode === "print" ? chapterOf(state.file).file : state.file;
    if (link.dataset.file === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function text(tag, content, className) {
  const element = document.createElement(tag);
  element.textContent = content;
  if (className) element.className = className;
  return element;
}

function showProblems(status) {
  const box = document.getElementById("problems");
  box.replaceChildren();
  const errors = status.problems.filter(p => p.level === "error").length;
  if (!status.problems.length) { box.hidden = true; return; }
  box.hidden = false;
  box.className = errors ? "" : "warnings-only";
  let heading = errors
    ? `The book does not build: ${errors} error${errors === 1 ? "" : "s"}.`
    : `${status.problems.length} warning${status.problems.length === 1 ? "" : "s"}.`;
  if (errors && status.has_book) heading += " Showing the last good build.";
  box.append(text("h2", heading));
  const list = document.createElement("ul");
  for (const problem of status.problems) {
    const item = document.createElement("li");
    item.className = problem.level;
    item.append(text("code", problem.where), ": ", text("span", problem.level, "level"), ": ",
                text("span", problem.message, "message"));
    list.append(item);
  }
  box.append(list);
}

function showPages(status) {
  const list = document.getElementById("pages");
  list.replaceChildren();
  for (const page of status.pages) {
    const link = text("a", page.title, "kind-" + page.kind);
    link.href = "#reader/" + page.file;
    link.dataset.file = page.file;
    link.addEventListener("click", event => {
      event.preventDefault();
      state.file = page.file;
      show(false);
    });
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
}

async function refresh() {
  const response = await fetch("/status.json", { cache: "no-store" });
  const status = await response.json();
  const before = state.status;
  state.status = status;
  document.getElementById("title").textContent = status.title;
  document.title = status.title + " — preview";
  const line = document.getElementById("status");
  line.className = status.building ? "building" : "";
  line.textContent = status.building ? "building…" : status.summary;
  showProblems(status);
  showPages(status);
  const rebuilt = !before || before.reader_version !== status.reader_version;
  if (rebuilt && before && status.changed) state.file = status.changed;  // follow the author's edit
  const printed = state.mode === "print" && before &&
    JSON.stringify(before.print) !== JSON.stringify(status.print);
  show(rebuilt || printed);
}

view.addEventListener("load", () => {
  const path = view.contentWindow.location.pathname;
  if (path.startsWith("/book/")) {
    state.file = path.slice(6);
    state.shown = "/book/" + state.file;
    history.replaceState(null, "", "#reader/" + state.file);
    show(false);
  }
});
document.getElementById("reader").addEventListener("click", () => { state.mode = "reader"; show(false); });
document.getElementById("print").addEventListener("click", () => { state.mode = "print"; show(false); });

const events = new EventSource("/events");
events.onmessage = () => refresh();
events.onerror = () => { document.getElementById("status").textContent = "disconnected: retrying…"; };
</script>
</body>
</html>
"""


def print_view(title: str, slug: str, version: int, images: int, seconds: float, note: str,
               problems: tuple[Diagnostic, ...], laying_out: bool) -> str:
    """A chapter's print pages, as images side by side in spreads (page 1 a recto)."""
    if laying_out:
        body = f"<p class='waiting'>Laying out “{escape(title)}”… the pages appear when it is done.</p>"
    elif images:
        pages = "".join(f"<img src='/print/{escape(slug)}/{number}.png?v={version}' "
                        f"alt='Page {number} of the chapter as printed'>" for number in range(1, images + 1))
        body = (f"<p>“{escape(title)}” as printed: {images} page{'s' * (images != 1)}, laid out alone in "
                f"{seconds:.1f} s (its folios count from 1). <a href='/print/{escape(slug)}.pdf?v={version}'>"
                "The PDF</a>.</p>"
                f"<div class='spreads'><span class='verso'></span>{pages}</div>")
    elif note:
        pdf = f"/print/{escape(slug)}.pdf?v={version}"
        body = f"<p>{escape(note)}. <a href='{pdf}'>The chapter's PDF</a>.</p>"
    else:
        listed = "".join(f"<li><code>{escape(str(problem))}</code></li>" for problem in problems)
        body = f"<p>“{escape(title)}” could not be laid out:</p><ul>{listed}</ul>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} — print</title>
<style>
  body {{ margin: 0; padding: 1em; background: #8a8780; font: 14px/1.4 system-ui, sans-serif; color: #fff; }}
  a {{ color: #fff; }}
  .spreads {{ display: grid; grid-template-columns: repeat(2, max-content); gap: 1.5em 2px;
             justify-content: center; }}
  .spreads img {{ display: block; background: #fff; box-shadow: 0 1px 6px rgba(0, 0, 0, .45); }}
</style></head>
<body>{body}</body></html>
"""
