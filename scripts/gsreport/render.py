"""Writes the section tree as one HTML page (figures referenced from figures/) and as Markdown."""
import html

from .doc import Figure, Note, Section, Table

CSS = """
:root { --ink:#1d2330; --muted:#5b6474; --line:#e2e6ee; --accent:#1f5fa8; --warn:#b3261e; --bg:#fbfcfe; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink);
       background:var(--bg); }
header { background:#14213d; color:#fff; padding:22px 36px 18px; }
header h1 { margin:0 0 4px; font-size:26px; letter-spacing:.3px; }
header p { margin:0; color:#c9d3e6; font-size:13.5px; }
nav { position:sticky; top:0; z-index:2; background:#fff; border-bottom:1px solid var(--line); padding:8px 36px; }
nav a { margin-right:18px; color:var(--accent); text-decoration:none; font-weight:600; font-size:14px; }
main { max-width:1280px; margin:0 auto; padding:8px 36px 60px; }
h2 { margin:38px 0 6px; font-size:22px; border-bottom:2px solid var(--ink); padding-bottom:4px; }
h3 { margin:28px 0 4px; font-size:18px; }
h4 { margin:22px 0 4px; font-size:16px; color:#2b3445; }
p.intro { color:var(--muted); margin:2px 0 12px; }
.figs { display:grid; grid-template-columns:repeat(2, minmax(0, 1fr)); gap:18px; align-items:start; }
.figs figure.wide { grid-column:1 / -1; }
@media (max-width:1100px) { .figs { grid-template-columns:minmax(0, 1fr); } }
figure { margin:8px 0; background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px; min-width:0; }
figure img { display:block; max-width:100%; height:auto; }
figcaption { font-size:13px; color:var(--muted); margin-top:6px; max-width:900px; }
.tbl { overflow-x:auto; margin:10px 0 16px; }
table { border-collapse:collapse; font-size:13px; background:#fff; }
caption { caption-side:top; text-align:left; color:var(--muted); font-size:13px; padding:4px 0; }
th, td { border-bottom:1px solid var(--line); padding:4px 10px; text-align:left; white-space:nowrap; }
th { background:#f1f4f9; font-weight:600; position:sticky; top:0; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
tr:hover td { background:#f7f9fc; }
p.note { margin:6px 0; padding:6px 10px; background:#eef3fb; border-left:3px solid var(--accent); font-size:13.5px; }
p.warn, p.broken { background:#fdecea; border-left-color:var(--warn); color:#5f1410; }
"""

# Marks every image once the page has loaded: a broken one (moved page, missing file) gets a visible
# warning, and the counts land in <body> attributes, which the tests read from headless Chromium.
IMAGE_CHECK_JS = """
window.addEventListener('load', function () {
  var imgs = document.images, broken = 0;
  for (var i = 0; i < imgs.length; i++) {
    var img = imgs[i], ok = img.complete && img.naturalWidth > 0;
    img.setAttribute('data-natural-width', String(img.naturalWidth));
    if (!ok) {
      broken++;
      var p = document.createElement('p');
      p.className = 'note broken';
      p.textContent = 'figure not found: ' + img.getAttribute('src');
      img.parentNode.insertBefore(p, img);
    }
  }
  document.body.setAttribute('data-images-broken', String(broken));
  document.body.setAttribute('data-images-checked', String(imgs.length));
});
"""


WIDE_PX = 760  # wider figures take a whole row of the page; narrower ones go two to a row


def _e(text):
    return html.escape(str(text), quote=True)


def _html_table(t):
    out = ['<div class="tbl"><table>']
    if t.caption:
        out.append(f"<caption>{_e(t.caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in t.headers) + "</tr></thead><tbody>")
    for row in t.rows:
        out.append("<tr>" + "".join(f'<td class="num">{_e(c)}</td>' if i in t.numeric else f"<td>{_e(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _html_blocks(blocks, level):
    out, figs = [], []

    def flush():
        if figs:
            out.append('<div class="figs">' + "".join(figs) + "</div>")
            figs.clear()

    for b in blocks:
        if isinstance(b, Figure):
            wide = ' class="wide"' if b.width > WIDE_PX else ""
            figs.append(f'<figure{wide}><a href="{_e(b.file)}"><img src="{_e(b.file)}" alt="{_e(b.alt)}"></a>'
                        f"<figcaption>{_e(b.caption)}</figcaption></figure>")
            continue
        flush()
        if isinstance(b, Table):
            out.append(_html_table(b))
        elif isinstance(b, Note):
            out.append(f'<p class="note{" warn" if b.warn else ""}">{_e(b.text)}</p>')
        elif isinstance(b, Section):
            out.append(_html_section(b, level + 1))
    flush()
    return "\n".join(out)


def _html_section(s, level):
    h = min(level, 6)
    intro = f'<p class="intro">{_e(s.intro)}</p>' if s.intro else ""
    return (f'<section id="{_e(s.id)}"><h{h}>{_e(s.title)}</h{h}>{intro}\n'
            f"{_html_blocks(s.blocks, level)}</section>")


def to_html(sections, title, subtitle):
    nav = "".join(f'<a href="#{_e(s.id)}">{_e(s.title)}</a>' for s in sections)
    body = "\n".join(_html_section(s, 2) for s in sections)
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head>\n"
            f'<body data-images-checked="pending"><header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header>\n'
            f"<nav>{nav}</nav><main>\n{body}\n</main><script>{IMAGE_CHECK_JS}</script></body></html>\n")


def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(t):
    out = [f"*{_md_cell(t.caption)}*", ""] if t.caption else []
    out.append("| " + " | ".join(_md_cell(h) for h in t.headers) + " |")
    out.append("|" + "|".join("---:" if i in t.numeric else "---" for i in range(len(t.headers))) + "|")
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
    return "\n".join(out)


def _md_section(s, level):
    out = ["#" * min(level, 6) + " " + s.title, ""]
    if s.intro:
        out += [s.intro, ""]
    for b in s.blocks:
        if isinstance(b, Figure):
            out.append(f"- figure: [{_md_cell(b.caption)}]({b.file})")
            continue
        if out[-1].startswith("- figure"):
            out.append("")
        if isinstance(b, Table):
            out += [_md_table(b), ""]
        elif isinstance(b, Note):
            out += [("> **problem:** " if b.warn else "> ") + b.text, ""]
        elif isinstance(b, Section):
            out += [_md_section(b, level + 1), ""]
    return "\n".join(out).rstrip() + "\n"


def _gh_anchor(title):
    """The anchor GitHub and most Markdown viewers give a heading."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def to_markdown(sections, title, subtitle):
    toc = "\n".join(f"- [{s.title}](#{_gh_anchor(s.title)})" for s in sections)
    return f"# {title}\n\n{subtitle}\n\n{toc}\n\n" + "\n".join(_md_section(s, 2) for s in sections)
