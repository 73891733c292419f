#!/usr/bin/python3
"""Checks a report folder written by `gradscope report`, printing OK / NOT OK lines; exit 1 on any NOT OK.

  check_report.py files OUT FIGURE...     index.html and summary.md exist; every figure the page or the
                                          Markdown references, and every file in figures/, is a valid PNG
                                          (signature, IHDR with non-zero size and a correct CRC, IEND);
                                          each named FIGURE (figures/<FIGURE>.png) is among them
  check_report.py chromium OUT SECTION... the page in headless Chromium: every <img> loaded (naturalWidth
                                          > 0, as the page's own check records in the DOM) and every
                                          named section present; then the same with one figure removed,
                                          which must be caught (so the check can fail)
  check_report.py tables-only OUT         index.html and summary.md hold tables and no figure at all
"""
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
failures = 0


def check(ok, what):
    global failures
    print(("OK " if ok else "NOT OK ") + what)
    failures += not ok
    return ok


class Page(html.parser.HTMLParser):
    """Image sources, section ids and <body> attributes of an HTML page."""

    def __init__(self, text):
        super().__init__()
        self.imgs, self.ids, self.body = [], set(), {}
        self.widths = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
            self.widths.append(a.get("data-natural-width"))
        if tag == "body":
            self.body = a
        if "id" in a:
            self.ids.add(a["id"])


def png_problem(path):
    """None for a valid PNG, else what is wrong with it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return f"cannot read ({e.strerror})"
    if not data.startswith(PNG_SIGNATURE):
        return "no PNG signature"
    if len(data) < 8 + 25:
        return "truncated before IHDR"
    length, ctype = struct.unpack(">I4s", data[8:16])
    if ctype != b"IHDR" or length != 13:
        return f"first chunk {ctype!r} of length {length}, expected IHDR of 13"
    body = data[16:16 + 13]
    width, height = struct.unpack(">II", body[:8])
    crc, = struct.unpack(">I", data[29:33])
    if zlib.crc32(b"IHDR" + body) != crc:
        return "IHDR CRC mismatch"
    if width == 0 or height == 0:
        return f"size {width}x{height}"
    if not data.endswith(b"IEND\xaeB`\x82"):
        return "no IEND chunk at the end (truncated)"
    return None


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def cmd_files(out, expected):
    index, summary = os.path.join(out, "index.html"), os.path.join(out, "summary.md")
    if not (check(os.path.isfile(index), f"{index} exists") and check(os.path.isfile(summary), f"{summary} exists")):
        return
    page = Page(read(index))
    md_links = re.findall(r"\]\((figures/[^)]+)\)", read(summary))
    on_disk = sorted("figures/" + f for f in os.listdir(os.path.join(out, "figures")))
    check(len(page.imgs) > 0, f"index.html shows {len(page.imgs)} figures")
    check(sorted(set(page.imgs)) == on_disk, "index.html shows exactly the files in figures/")
    check(sorted(set(md_links)) == on_disk, "summary.md links exactly the files in figures/")
    bad = [(f, png_problem(os.path.join(out, f))) for f in on_disk]
    bad = [(f, p) for f, p in bad if p]
    check(not bad, f"all {len(on_disk)} figures are valid PNG files" + "".join(f"\n  {f}: {p}" for f, p in bad))
    missing = [name for name in expected if f"figures/{name}.png" not in on_disk]
    check(not missing, f"the {len(expected)} expected figures exist" + (f" (missing: {', '.join(missing)})"
                                                                       if missing else ""))


def chromium_dom(page_path):
    """The DOM of the page after load, from headless Chromium (a fresh profile each time)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise SystemExit("NOT OK chromium is not installed (Debian package chromium; scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="gs-chromium-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--run-all-compositor-stages-before-draw",
               "--virtual-time-budget=10000", "--dump-dom", "file://" + os.path.abspath(page_path)]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    if res.returncode != 0 or "<body" not in res.stdout:
        raise SystemExit(f"NOT OK chromium exited {res.returncode} without a DOM:\n{res.stderr[-2000:]}")
    return Page(res.stdout)


def loaded_report(out):
    """(images in the page source, the Page Chromium rendered)."""
    source = Page(read(os.path.join(out, "index.html")))
    return source, chromium_dom(os.path.join(out, "index.html"))


def cmd_chromium(out, sections):
    source, dom = loaded_report(out)
    n = len(source.imgs)
    check(n > 0, f"the page has {n} images")
    check(dom.body.get("data-images-checked") == str(n),
          f"the page's image check ran over all {n} images (body data-images-checked="
          f"{dom.body.get('data-images-checked')})")
    check(dom.body.get("data-images-broken") == "0", f"no broken image (data-images-broken="
                                                     f"{dom.body.get('data-images-broken')})")
    zero = [src for src, w in zip(dom.imgs, dom.widths) if not (w and w.isdigit() and int(w) > 0)]
    check(not zero, "every image has a natural width > 0 in Chromium" + (f" (not: {zero[:5]})" if zero else ""))
    missing = [s for s in sections if s not in dom.ids]
    check(not missing, f"all {len(sections)} sections present" + (f" (missing: {missing})" if missing else ""))
    # The same check on a copy with one figure removed must see it, or it proves nothing.
    with tempfile.TemporaryDirectory(prefix="gs-report-broken-") as tmp:
        copy = os.path.join(tmp, "report")
        shutil.copytree(out, copy)
        victim = source.imgs[len(source.imgs) // 2]
        os.remove(os.path.join(copy, victim))
        _, broken = loaded_report(copy)
        caught = [src for src, w in zip(broken.imgs, broken.widths) if w == "0"]
        check(broken.body.get("data-images-broken") == "1" and caught == [victim],
              f"a removed figure ({victim}) is caught as the one broken image (broken="
              f"{broken.body.get('data-images-broken')}, zero width: {caught})")


def cmd_tables_only(out):
    for name in ("index.html", "summary.md"):
        path = os.path.join(out, name)
        if not check(os.path.isfile(path), f"{path} exists"):
            return
    page_text = read(os.path.join(out, "index.html"))
    page = Page(page_text)
    check(page_text.count("<table") >= 3, f"index.html holds {page_text.count('<table')} tables")
    check(not page.imgs, f"index.html shows no figure ({len(page.imgs)} <img>)")
    check("matplotlib is missing" in page_text, "index.html says matplotlib is missing")
    md = read(os.path.join(out, "summary.md"))
    check(md.count("\n|---") >= 3, "summary.md holds Markdown tables")
    check(not re.search(r"\]\(figures/", md), "summary.md links no figure")
    check(not os.path.exists(os.path.join(out, "figures")), "no figures/ folder")


def main(argv):
    if len(argv) < 2 or argv[0] not in ("files", "chromium", "tables-only"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, out, rest = argv[0], argv[1], argv[2:]
    {"files": lambda: cmd_files(out, rest), "chromium": lambda: cmd_chromium(out, rest),
     "tables-only": lambda: cmd_tables_only(out)}[mode]()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
