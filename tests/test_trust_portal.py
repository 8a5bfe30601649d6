"""The portal trusts nothing from the data repository.

Every free text of every kind of file is text on every page, in every
attribute and in the search index, whichever template (gitdesk's or
mkdocs-material's) writes it; customer sites show no commit messages or
authors; mkdocs.yml is data, never code; odd commits do not stop a build.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ACME, ANNUAL, ON_DEMAND, PROVIDER, TICKET, DataRepo

NOW = "2026-12-15 12:00"
#: Markup, Jinja, Markdown and attribute breakers in one text.
PAYLOAD = ("<script>alert(1)</script>\"><img src=x onerror=alert(2)>'><svg onload=alert(3)>"
           "{{7*7}}{% raw %}[x](javascript:alert(4)) **b** </title><script>alert(5)</script> &amp; Zebrafish")
TAGS = ("script", "img", "svg", "iframe", "object", "embed")


def q(text: str) -> str:
    return json.dumps(text)


def hostile(tmp_path: Path) -> DataRepo:
    """A valid repository whose every free-text field is :data:`PAYLOAD`."""
    r = DataRepo(tmp_path / "data")
    P = q(PAYLOAD)
    provider = (PROVIDER.replace("name: Assistenza Rapida S.r.l.", f"name: {P}")
                .replace("address: Via Roma 1, 23900 Lecco LC", f"address: {P}")
                .replace('phone: "+39 0341 000000"', f"phone: {P}")
                .replace("email: assistenza@example.it", f"email: {P}")
                .replace("vat_id: IT01234567890", f"vat_id: {P}")
                .replace("name: Giulia Bianchi", f"name: {P}")
                .replace("title: Senior technician", f"title: {P}")
                .replace('phone: "+39 0341 000001"', f"phone: {P}")
                .replace("email: giulia.bianchi@example.it", f"email: {P}")
                .replace("{id: mverdi, name: Marco Verdi, title: Technician}", f"{{id: mverdi, name: {P}, title: {P}}}"))
    r.write("contracts/provider.yaml", provider)
    r.write("contracts/plans/annual.yaml", ANNUAL.replace("name: Annual service contract", f"name: {P}")
            .replace("summary: Top priority and lower rates, billed monthly.", f"summary: {P}"))
    r.write("contracts/plans/on-demand.yaml", ON_DEMAND.replace("name: On demand", f"name: {P}\nsummary: {P}"))
    r.write("contracts/customers/acme.yaml", ACME.replace("name: ACME Meccanica S.p.A.", f"name: {P}\naddress: {P}")
            .replace("vat_id: IT09876543210", f"vat_id: {P}")
            .replace("{name: Mario Rossi, role: Office manager, phone: \"+39 0341 111111\", email: m.rossi@acme.example}",
                     f"{{name: {P}, role: {P}, phone: {P}, email: {P}}}"))
    r.write("contracts/customers/beta.yaml", f"name: {P}\n")
    ticket = (TICKET.replace("title: Main server does not boot", f"title: {P}")
              .replace("reported_by: Mario Rossi", f"reported_by: {P}")
              .replace("priority: urgent", "priority: urgent\nincident: psu-2026-11-03")
              .replace("  The server restarts in a loop since this morning.", f"  {PAYLOAD}\n  {PAYLOAD}")
              .replace("{at: 2026-11-03 09:14, event: acknowledged, by: gbianchi}",
                       f"{{at: 2026-11-03 09:14, event: acknowledged, by: gbianchi, note: {P}}}")
              .replace("      Replaced the power supply.", f"      {PAYLOAD}")
              .replace("{code: PSU-750, name: Power supply 750 W,", f"{{code: {P}, name: {P},"))
    r.ticket("20261103-acme-psu1", ticket)
    r.write("site_src/public/about.md", "# About us\n\nPlain words.\n")
    return r


def _check(result) -> None:
    assert result.exit_code == 0, result.output


class Elements(HTMLParser):
    """Every element and attribute of a document, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_inert(html: str, where: str) -> Elements:
    """No element or attribute of the payload exists in the document."""
    doc = parse(html)
    for tag, attrs in doc.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: <{tag} {name}=...>"
            assert not (value or "").strip().lower().startswith("javascript:"), f"{where}: <{tag} {name}={value!r}>"
        if tag in TAGS:
            assert attrs.get("src") != "x", f"{where}: <{tag} src=x>"
    for script in doc.scripts:
        assert "alert(" not in script, f"{where}: a script runs {script[:80]!r}"
    text = "".join(doc.text)
    shown = re.sub(r"pytest-\d+", "", text.replace("2049", ""))  # the payload names a file under pytest's numbered folder
    assert "49" not in shown, f"{where}: a template expression was evaluated"
    return doc


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    r = hostile(tmp)
    _check(r.run("validate"))
    _check(r.run("statement", "issue", "--month", "2026-11", "--date", "2026-12-01"))
    number = next((r.root / "statements/2026").glob("*.yaml")).stem
    ticket = r.root / "tickets/2026/11/20261103-acme-psu1.yaml"
    ticket.write_text(ticket.read_text().replace("price: 89.00", "price: 79.00"))
    _check(r.run("statement", "adjust", "--number", number, "--reason", PAYLOAD, "--month", "2026-12", "--date", "2026-12-02"))
    out = tmp / "site"
    _check(r.run("build", "--out", str(out), "--now", NOW))
    return out


def test_every_text_of_every_file_is_text_on_every_page(hostile_site):
    pages = sorted(p for p in hostile_site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        assert_inert(page.read_text(), str(page.relative_to(hostile_site)))
    for svg in hostile_site.rglob("*.svg"):
        assert_inert(svg.read_text(), str(svg.relative_to(hostile_site)))


def test_the_payload_reads_as_itself_where_it_is_shown(hostile_site):
    literal = PAYLOAD  # its "&amp;" too is text, shown as typed
    home = parse((hostile_site / "customers/acme/index.html").read_text())
    assert literal in "".join(home.text), "the customer's name is not shown as typed"
    head = (hostile_site / "customers/acme/index.html").read_text().split("</head>")[0]
    title = head.split("<title>")[1].split("</title>")[0]
    assert title.startswith("&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img") or \
        title.startswith("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"), title
    ticket = "".join(parse((hostile_site / "customers/acme/tickets/20261103-acme-psu1.html").read_text()).text)
    assert ticket.count(literal) >= 5  # title, reported by, description, note, report, parts
    statement = "".join(parse((hostile_site / "customers/acme/statements/2026-12.html").read_text()).text)
    assert literal in statement  # the adjustment's reason
    public = "".join(parse((hostile_site / "public/team.html").read_text()).text)
    assert literal in public


def test_search_index_holds_only_text(hostile_site):
    indexes = list(hostile_site.rglob("search_index.json"))
    assert len(indexes) == 4  # public, staff, two customers
    for index in indexes:
        docs = json.loads(index.read_text())["docs"]
        # a customer's name titles its pages; the staff site's pages have their own titles and hold the names in their text
        where = index.relative_to(hostile_site).parts[0]
        assert any("alert(1)" in d["title"] for d in docs) or where == "public" or \
            (where == "staff" and any("alert(1)" in d["text"] for d in docs))
        for doc in docs:
            for field in ("title", "text"):  # material's search shows both as HTML
                assert_inert(doc[field], f"{index}: {doc['location']} {field}")


def test_titles_with_characters_yaml_cannot_carry(repo, tmp_path):
    """A title is never written into YAML front matter: control and odd characters do not stop the build."""
    odd = r'"Caf\u00e9 \x85 \u2028 \x7f \x1e \ufffe \U0001F600 : # - ---"'
    repo.write("contracts/customers/beta.yaml", f"name: {odd}\n")
    plan = repo.root / "contracts/plans/annual.yaml"
    plan.write_text(plan.read_text().replace("name: Annual service contract", f"name: {odd}"))
    result = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert result.exit_code == 0, result.output
    for page in ("customers/beta/index.html", "public/terms/annual.html"):
        title = (tmp_path / "site" / page).read_text().split("<title>")[1].split("</title>")[0]
        assert title.startswith("Caf\u00e9 \x85 \u2028 \x7f \x1e \ufffe \U0001F600 : # - ---"), (page, title)


# ---------------------------------------------------------------- git history


def _commit(repo: DataRepo, message: str, env: dict | None = None) -> None:
    base = dict(os.environ, GIT_AUTHOR_NAME="Giulia Bianchi", GIT_AUTHOR_EMAIL="giulia@example.invalid",
                GIT_COMMITTER_NAME="Giulia Bianchi", GIT_COMMITTER_EMAIL="giulia@example.invalid")
    subprocess.run(["git", "add", "-A"], cwd=repo.root, check=True, env=base)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo.root, check=True, env=dict(base, **(env or {})))


def test_customer_sites_show_no_commit_messages_or_authors(repo, tmp_path):
    repo.git("init", "-q")
    _commit(repo, "Contracts and tickets")
    path = repo.root / "tickets/2026/11/20261103-acme-psu1.yaml"
    path.write_text(path.read_text().replace("does not boot", "does not start"))
    _commit(repo, "Same fault as Beta Studio's NAS (see their ticket), Beta pays the part",
            {"GIT_AUTHOR_NAME": "Zelda Quartermain"})
    out = tmp_path / "site"
    result = repo.run("build", "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    site = out / "customers/acme"
    blob = "\n".join(p.read_text(errors="replace") for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".xml"))
    assert "does not start" in blob
    for secret in ("Beta Studio", "Beta pays", "Zelda Quartermain", "Contracts and tickets", "giulia@example.invalid"):
        assert secret not in blob, secret
    assert "gd-history" not in blob
    page = (site / "tickets/20261103-acme-psu1.html").read_text()
    assert "gd-timeline" in page  # the ticket's own events are its history


def test_odd_commits_do_not_stop_any_command(repo, tmp_path):
    """A commit message with a record separator or NUL-like bytes, and a commit with an impossible time zone."""
    repo.git("init", "-q")
    _commit(repo, "first\x1esecond\x1fthird")
    path = repo.root / "tickets/2026/11/20261103-acme-psu1.yaml"
    path.write_text(path.read_text().replace("does not boot", "does not start"))
    repo.git("add", "-A")
    tree = repo.git("write-tree").strip()
    parent = repo.git("rev-parse", "HEAD").strip()
    raw = (f"tree {tree}\nparent {parent}\nauthor A <a@example.invalid> 1700000000 +9959\n"
           f"committer A <a@example.invalid> 1700000000 +9959\n\nodd\x1e zone\n")
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"], cwd=repo.root,
                         input=raw.encode(), capture_output=True, check=True).stdout.decode().strip()
    repo.git("update-ref", "HEAD", sha)
    for args in (("validate",), ("sla", "--now", NOW), ("statement", "--month", "2026-11"),
                 ("check", "--base", parent, "--now", NOW), ("build", "--out", str(tmp_path / "site"), "--now", NOW)):
        result = repo.run(*args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code in (0, 1), (args, result.output)
    assert "does not start" in (tmp_path / "site/customers/acme/tickets/20261103-acme-psu1.html").read_text()


# ---------------------------------------------------------------- mkdocs.yml


def test_short_theme_form_builds(repo, tmp_path):
    repo.write("mkdocs.yml", "site_name: Portal\ntheme: material\n")
    result = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site/customers/acme/index.html").exists()


def test_materials_emoji_example_builds(repo, tmp_path):
    repo.write("mkdocs.yml", """\
site_name: Portal
theme:
  name: material
markdown_extensions:
  - attr_list
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
""")
    repo.write("site_src/public/about.md", "# About\n\nWe :heart: servers.\n")
    result = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "twemoji" in (tmp_path / "site/public/about/about.html").read_text()


#: mkdocs.yml texts that must be refused: (text, line, column, words of the message).
MKDOCS_CASES = [
    ("site_name: x\nmarkdown_extensions:\n  - toc:\n      slugify: !!python/name:os.system\n", 4, 16, "os.system"),
    ("site_name: x\nextra:\n  v: !!python/object/apply:os.system [\"touch pwned\"]\n", 3, 6, "python/object/apply"),
    ("site_name: !ENV HOME\n", 1, 12, "!ENV"),
    ("site_name: x\nhooks:\n  - evil.py\n", 2, 1, "hooks"),
    ("site_name: x\nplugins:\n  - search\n  - macros\n", 4, 5, "macros"),
    ("site_name: x\nmarkdown_extensions:\n  - evil\n", 3, 5, "evil"),
    ("site_name: x\nmarkdown_extensions:\n  - pymdownx.snippets:\n      base_path: /\n", 3, 5, "pymdownx.snippets"),
    ("site_name: x\nextra_javascript:\n  - https://evil.example/x.js\n", 2, 1, "extra_javascript"),
    ("site_name: x\nextra_css:\n  - https://evil.example/x.css\n", 3, 5, "extra_css"),
    ("site_name: x\ntheme:\n  name: material\n  custom_dir: /etc\n", 4, 3, "custom_dir"),
    ("site_name: x\ntheme: readthedocs\n", 2, 1, "readthedocs"),
    ("INHERIT: /etc/mkdocs.yml\n", 1, 1, "INHERIT"),
    ("site_name: x\ntheme:\n  name: material\n  palette:\n    primary: '\"><script>alert(1)</script>'\n", 5, 5, "<, >"),
    ("site_name: x\nmarkdown_extensions:\n  - toc:\n      title: <img src=x onerror=alert(1)>\n", 4, 7, "<, >"),
    ("site_name: x\ntheme:\n  name: material\n  logo: https://tracker.example/l.png\n", 4, 3, "logo"),
    ("site_name: [unclosed\n", 2, 1, "YAML"),
    ("site_name: x\nmarkdown_extensions:\n  - toc:\n      permalink: [1, 2]\n      nonsense_option: 3\n", 2, 1, "markdown_extensions"),
]


def _build_from_inside(repo, tmp_path):
    """``gitdesk build`` started in the repository, where a relative path in mkdocs.yml would lead."""
    cwd = os.getcwd()
    os.chdir(repo.root)
    try:
        return repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("text, line, column, words", MKDOCS_CASES)
def test_mkdocs_yml_that_would_run_code_or_fail_is_a_located_error(repo, tmp_path, text, line, column, words):
    repo.write("mkdocs.yml", text)
    (repo.root / "evil.py").write_text("import pathlib; pathlib.Path('pwned').write_text('ran')\n")
    result = _build_from_inside(repo, tmp_path)
    assert result.exit_code == 1, result.output
    assert f"mkdocs.yml:{line}:{column}: " in result.output and words in result.output, result.output
    assert "Traceback" not in result.output
    assert not (repo.root / "pwned").exists() and not (tmp_path / "pwned").exists()
    assert not (tmp_path / "site/customers").exists()
    if words != "markdown_extensions":  # all but the options only mkdocs itself checks, while it builds
        checked = repo.run("validate")  # validate reports what build would refuse, at the same place
        assert checked.exit_code == 1 and f"mkdocs.yml:{line}:{column}: " in checked.output, checked.output
        gate = repo.run("check", "--now", NOW)  # and so does the CI gate
        assert gate.exit_code == 1 and f"mkdocs.yml:{line}:{column}: " in gate.output, gate.output
    assert not (repo.root / "pwned").exists()


def test_mkdocs_yml_out_of_the_repository_is_not_read(repo, tmp_path):
    secret = tmp_path / "secret.yml"
    secret.write_text("site_name: TOKEN-1234\n")
    (repo.root / "mkdocs.yml").symlink_to(secret)
    result = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert result.exit_code == 1 and "mkdocs.yml:1:1: " in result.output and "TOKEN-1234" not in result.output


def test_theme_overrides_cannot_reach_python(repo, tmp_path):
    """Templates of site_src/overrides run in Jinja's sandbox."""
    repo.write("site_src/overrides/main.html",
               "{% extends \"base.html\" %}{% block extrahead %}"
               "{{ cycler.__init__.__globals__.os.system('touch pwned') }}{% endblock %}")
    result = _build_from_inside(repo, tmp_path)
    assert not (repo.root / "pwned").exists()
    assert result.exit_code == 1 and "site_src/overrides/main.html:1:47: " in result.output and "not allowed" in result.output


def test_site_src_links_out_of_the_repository_are_not_published(repo, tmp_path):
    secret = tmp_path / "environ"
    secret.write_text("TOKEN-1234\n")
    (repo.root / "site_src/overrides/partials").mkdir(parents=True)
    (repo.root / "site_src/overrides/partials/footer.html").symlink_to(secret)
    result = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert result.exit_code == 1 and "site_src/overrides/partials/footer.html:1:1: " in result.output
    assert "TOKEN-1234" not in result.output and not (tmp_path / "site/customers").exists()


# ---- mkdocs.yml options and the output folder (round 2)

EMOJI = """\
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
"""


def _refused_everywhere(repo, tmp_path, line, column, words):
    """validate, check and build all report the problem at line:column; build writes no site."""
    for args in (("validate",), ("check", "--now", NOW), ("build", "--out", str(tmp_path / "site"), "--now", NOW)):
        result = repo.run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert f"mkdocs.yml:{line}:{column}: " in result.output and words in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "site").exists()


def test_custom_icons_that_read_files_outside_are_refused(repo, tmp_path):
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "sec.svg").write_text("<svg>OUTSIDE-SECRET</svg>")
    (repo.root / "icons").mkdir()
    (repo.root / "icons/env.svg").symlink_to("/proc/self/environ")
    repo.write("mkdocs.yml", "site_name: x\ntheme: {name: material}\nmarkdown_extensions:\n" + EMOJI
               + f"      options:\n        custom_icons: [icons, {secret}]\n")
    repo.write("site_src/public/about.md", "# About\n\n:env: :sec:\n")
    _refused_everywhere(repo, tmp_path, 8, 9, "custom_icons")


def test_tags_export_file_anywhere_is_refused(repo, tmp_path):
    target = tmp_path / "WRITTEN.json"
    repo.write("mkdocs.yml", f"site_name: x\nplugins:\n  - search\n  - tags:\n      export_file: {target}\n")
    _refused_everywhere(repo, tmp_path, 5, 7, "export_file")
    assert not target.exists()


def test_extra_css_with_markup_is_refused(repo, tmp_path):
    repo.write("mkdocs.yml", 'site_name: x\nextra_css:\n  - ok.css\n'
               '  - "x.css\\"><script>alert(document.domain)</script><link href=\\"y.css"\n')
    _refused_everywhere(repo, tmp_path, 4, 5, "extra_css")


#: More options that reach files, hosts, code or markup: (text, line, column, words).
OPTION_CASES = [
    ("site_name: x\nmarkdown_extensions:\n" + EMOJI + "      options: {attributes: {onload: alert(1)}}\n", 6, 17, "attributes"),
    ("site_name: x\nmarkdown_extensions:\n" + EMOJI + "      options: {image_path: 'https://tracker.example/'}\n",
     6, 17, "image_path"),
    ("site_name: x\nmarkdown_extensions:\n  - wikilinks: {base_url: 'javascript:alert(1);//'}\n", 3, 17, "base_url"),
    ("site_name: x\nplugins:\n  - search: {jieba_dict: /etc/passwd}\n", 3, 14, "jieba_dict"),
    ("site_name: x\nplugins:\n  - tags: {listings_layout: ../../x}\n", 3, 12, "listings_layout"),
    ("site_name: x\nplugins:\n  - tags:\n      tags_sort_by: !!python/name:pymdownx.superfences.fence_code_format\n",
     4, 7, "tags_sort_by"),
    ("site_name: x\ntheme:\n  name: material\n  icon: {logo: ../../../x}\n", 4, 10, "theme.icon.logo"),
    ("site_name: x\ntheme:\n  name: material\n  palette: {primary: \"x' onmouseover='alert(1)\"}\n", 4, 13, "may not contain"),
    ("site_name: x\nmarkdown_extensions:\n  - abbr: {glossary: {'<b>': x}}\n", 3, 23, "may not contain"),
]


@pytest.mark.parametrize("text, line, column, words", OPTION_CASES)
def test_options_that_reach_files_hosts_or_markup_are_refused(repo, tmp_path, text, line, column, words):
    repo.write("mkdocs.yml", text)
    _refused_everywhere(repo, tmp_path, line, column, words)


def test_escaped_texts_and_safe_options_still_build(repo, tmp_path):
    repo.write("mkdocs.yml", """\
site_name: It's "ours" <b>
copyright: '&copy; <Assistenza> "Rapida"'
theme:
  name: material
  icon: {logo: material/library}
extra_css: [stylesheets/extra.css]
plugins:
  - search:  # material's documented separator, with " and `: only ever written as JSON
      lang: en
      separator: '[\\s\\u200b\\-_,:!=\\[\\]()"`/]+|\\.(?!\\d)|&[lg]t;|(?!\\b)(?=[A-Z][a-z])'
  - tags: {export: false, tags_hierarchy: true}
markdown_extensions:
  - wikilinks: {base_url: /wiki/}
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
      options: {classes: emoji}
""")
    result = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "&lt;Assistenza&gt;" in (tmp_path / "site/public/index.html").read_text()


def _victims(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "bashrc").write_text("ORIGINAL\n")
    return victim


#: Links under the output folder: (path under it, where it leads: a file or the victim folder).
LINKS = [
    (".gitdesk-build/public.digest", "bashrc"),
    (".gitdesk-build", ""),
    (".auth", ""),
    (".auth/acme.htpasswd", "bashrc"),
    ("webserver", ""),
    ("webserver/nginx.conf", "bashrc"),
    ("customers", ""),
    ("customers/acme", ""),
    ("public", ""),
    ("public/index.html", "bashrc"),
]


@pytest.mark.parametrize("link, leads_to", LINKS)
def test_links_in_the_output_folder_are_refused_and_followed_nowhere(repo, tmp_path, link, leads_to):
    acme = repo.root / "contracts/customers/acme.yaml"
    acme.write_text(acme.read_text() + "logins:\n  - {user: mario, hash: '$2b$12$" + "a" * 53 + "'}\n")
    victim = _victims(tmp_path)
    out = tmp_path / "out"
    (out / link).parent.mkdir(parents=True, exist_ok=True)
    (out / link).symlink_to(victim / leads_to if leads_to else victim)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = repo.run("build", "--out", str(out), "--now", NOW)
    assert result.exit_code == 1, result.output
    assert f"{out / link} is a symbolic link" in result.output and "Traceback" not in result.output, result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written anywhere
    assert (victim / "bashrc").read_text() == "ORIGINAL\n"


def test_links_committed_in_the_output_folder_are_refused(git_repo, tmp_path):
    """The pipelines build with --out site in the checkout: what a pull request commits there is never written through."""
    victim = _victims(tmp_path)
    (git_repo.root / "site/.gitdesk-build").mkdir(parents=True)
    (git_repo.root / "site/.gitdesk-build/public.digest").symlink_to(victim / "bashrc")
    (git_repo.root / "site/.auth").symlink_to(victim)
    git_repo.git("add", "-f", "site")
    git_repo.git("commit", "-qm", "links")
    result = git_repo.run("build", "--out", str(git_repo.root / "site"), "--now", NOW)
    assert result.exit_code == 1 and "holds files git tracks" in result.output, result.output
    assert "site/.auth" in result.output
    assert (victim / "bashrc").read_text() == "ORIGINAL\n" and sorted(victim.iterdir()) == [victim / "bashrc"]
    assert not (git_repo.root / "site/customers").exists()


def test_an_output_folder_that_is_a_link_inside_the_repository_is_refused(repo, tmp_path):
    victim = _victims(tmp_path)
    (repo.root / "site").symlink_to(victim)
    result = repo.run("build", "--now", NOW)
    assert result.exit_code == 1 and f"{repo.root / 'site'} is a symbolic link" in result.output, result.output
    assert sorted(victim.iterdir()) == [victim / "bashrc"]


def test_a_committed_build_is_refused_not_trusted(git_repo, tmp_path):
    """A forged page committed with its build state is neither served as unchanged nor overwritten in silence."""
    site = git_repo.root / "site"
    assert git_repo.run("build", "--out", str(site), "--now", NOW).exit_code == 0
    page = site / "customers/acme/index.html"
    page.write_text(page.read_text().replace("<body", "<body><h1>FORGED: pay to IBAN XX00</h1", 1))
    git_repo.git("add", "-f", "site/customers/acme", "site/.gitdesk-build")
    git_repo.git("commit", "-qm", "forged")
    clone = DataRepo(tmp_path / "clone")
    subprocess.run(["git", "clone", "-q", str(git_repo.root), str(clone.root)], check=True)
    result = clone.run("build", "--out", str(clone.root / "site"), "--now", NOW)
    assert result.exit_code == 1, result.output
    assert f"the output folder {clone.root / 'site'} holds files git tracks" in result.output
    assert "nothing was written" in result.output and "unchanged" not in result.output
    assert not (clone.root / "site/public").exists() and not (clone.root / "site/webserver").exists()


def test_a_build_state_this_machine_did_not_write_counts_for_nothing(repo, tmp_path, monkeypatch):
    """A site folder copied from elsewhere (another key signed its state) is built again, not trusted."""
    out = tmp_path / "site"
    monkeypatch.setenv("GITDESK_CACHE_KEY", "another machine")
    assert repo.run("build", "--out", str(out), "--now", NOW).exit_code == 0
    page = out / "customers/acme/index.html"
    page.write_text(page.read_text().replace("<body", "<body><h1>FORGED</h1", 1))
    monkeypatch.setenv("GITDESK_CACHE_KEY", "this machine")
    result = repo.run("build", "--out", str(out), "--now", NOW)
    assert result.exit_code == 0 and "0 unchanged" in result.output, result.output
    assert "FORGED" not in page.read_text()
    again = repo.run("build", "--out", str(out), "--now", NOW)  # its own state counts: nothing to build
    assert again.exit_code == 0 and "built 0 sites, 4 unchanged" in again.output, again.output


#: Text in the syntax of every Markdown extension mkdocs.yml may enable, written into data fields.
MD_PAYLOADS = [
    'x {: onclick="alert(1)" }', "{: .x onmouseover=alert(2) }", "<div markdown>**in html**</div>",
    "[x](javascript:alert(3))", "![x](http://tracker.example/x.png)", "<http://tracker.example/auto>",
    ":material-alert: :smile:", "==mark==", "[[wiki]]", "$$ math $$", "$x^2$", "!!! note", "???+ tip", '=== "tab"',
    '--8<-- "/etc/passwd"', '--8<-- "SECRET"', "/// html | script\nalert(4)\n///", "~~del~~ ^^ins^^ ++ctrl+alt++",
    "{++add++} {--del--}", "- [x] task", "*[HTML]: Hyper", "[^1]\n\n[^1]: note", "```js\nalert(5)\n```",
    "`#!js alert(6)`", "www.tracker.example", "Title {#id onclick=alert(7)}",
]


URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "data", "xlink:href", "background", "cite"}


def test_data_in_markdown_extensions_syntax_is_text(repo, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN-SNIPPET-1234\n")
    payloads = [p.replace("SECRET", str(secret)) for p in MD_PAYLOADS]
    from gitdesk.portal import mkdocs_config

    lines = ["site_name: x", "theme: {name: material}", "markdown_extensions:"]
    for name in sorted(n for n in mkdocs_config.EXTENSIONS if not n.startswith("markdown.extensions.")):
        lines += EMOJI.rstrip("\n").split("\n") if name == "pymdownx.emoji" else [f"  - {name}"]
    repo.write("mkdocs.yml", "\n".join(lines) + "\n")
    one_line = " ".join(p.replace("\n", " ") for p in payloads)
    block = "\n".join(payloads)
    indented = "\n".join("  " + line if line else "" for line in block.split("\n"))
    ticket = (TICKET.replace("title: Main server does not boot", f"title: {q(one_line)}")
              .replace("description: |\n  The server restarts in a loop since this morning.", f"description: |\n{indented}")
              .replace("      Replaced the power supply.", "\n".join("    " + line if line else "" for line in indented.split("\n")))
              .replace("name: Power supply 750 W,", f"name: {q(one_line)},"))
    repo.ticket("20261103-acme-psu1", ticket)
    acme = repo.root / "contracts/customers/acme.yaml"
    acme.write_text(acme.read_text().replace("name: ACME Meccanica S.p.A.", f"name: {q(one_line)}"))
    assert repo.run("validate").exit_code == 0
    out = tmp_path / "site"
    result = repo.run("build", "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    site = out / "customers/acme"
    texts = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".json", ".xml", ".svg") or "assets" in path.parts:
            continue
        text = path.read_text()
        assert "TOKEN-SNIPPET" not in text and "root:x:0:0" not in text, path
        docs = json.loads(text)["docs"] if path.name == "search_index.json" else [{"text": text}]
        for doc in docs:
            for field in ("title", "text"):
                doc_html = doc.get(field, "")
                found = assert_inert(doc_html, f"{path.relative_to(out)} {field}")
                for tag, attrs in found.tags:
                    for name, value in attrs.items():  # nothing that loads or links to another host
                        if name in URL_ATTRIBUTES or "url(" in (value or ""):
                            assert "tracker.example" not in (value or ""), f"{path}: <{tag} {name}={value!r}>"
                    assert tag not in ("mark", "del", "ins", "kbd", "details", "math"), f"{path}: <{tag}>"
                    assert not {"admonition", "tabbed-set", "arithmatex", "twemoji", "task-list-item",
                                "critic", "footnote"} & set((attrs.get("class") or "").split()), f"{path}: {tag} {attrs}"
                texts.append("".join(found.text))
    ticket_text = "".join(parse((site / "tickets/20261103-acme-psu1.html").read_text()).text)
    for payload in payloads:  # every payload reads as typed where the description is shown
        assert payload.split("\n")[0] in ticket_text, payload


def test_a_stylesheet_name_with_markup_is_refused(repo, tmp_path):
    """site_src/stylesheets/ files are added to extra_css by name: a name is no way into the pages either."""
    repo.write('site_src/stylesheets/x"><img src=x onerror=alert(7)>.css', "body {}\n")
    result = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert result.exit_code == 1, result.output
    assert 'site_src/stylesheets/x"><img src=x onerror=alert(7)>.css:1:1: ' in result.output
    assert not (tmp_path / "site/customers").exists()
    for command in ("validate", "check"):  # reported before any build, as build would refuse it
        checked = repo.run(command)
        assert checked.exit_code == 1 and 'site_src/stylesheets/x"><img src=x onerror=alert(7)>.css:1:1: ' in checked.output


# ---- theme overrides (round 2)

DEMO_OVERRIDE = (Path(__file__).resolve().parent.parent / "site_src/overrides/main.html").read_text()
#: The two ways out of Jinja's sandbox that mkdocs put within a template's reach, each writing MARKER.
ESCAPES = {
    "theme-get-env": ('{%% extends "base.html" %%}\n{%% block footer %%}RCE[{{ config.theme.get_env().from_string('
                      '"{{ cycler.__init__.__globals__.os.popen(\'touch %s\').read() }}").render() }}]'
                      '{{ super() }}{%% endblock %%}\n', 2, 23, "config.theme.get_env()"),
    "hooks-module": ('{%% extends "base.html" %%}\n{%% block footer %%}{%% for k, hk in config.plugins.items() %%}'
                     '{%% if "hooks" in k %%}RCE2[{{ hk.jinja2.Environment().from_string("{{ cycler.__init__.__globals__'
                     '.os.popen(\'touch %s\').read() }}").render() }}]{%% endif %%}{%% endfor %%}{{ super() }}{%% endblock %%}\n',
                     2, 19, "{% for k, hk in config.plugins.items() %}"),
}


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_overrides_that_escape_the_sandbox_do_not_run(repo, tmp_path, escape):
    template, line, column, quoted = ESCAPES[escape]
    marker = tmp_path / "ran"
    repo.write("site_src/overrides/main.html", template % marker)
    where = f"site_src/overrides/main.html:{line}:{column}: theme overrides may hold HTML inside blocks and {{{{ super() }}}} only: "
    result = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert result.exit_code == 1 and where in result.output and quoted in result.output, result.output
    assert "Traceback" not in result.output and not marker.exists()
    assert not (tmp_path / "site/customers").exists() and not (tmp_path / "site/public").exists()
    for command in (("validate",), ("check", "--now", NOW)):
        checked = repo.run(*command)
        assert checked.exit_code == 1 and where in checked.output, checked.output
    assert not marker.exists()


def test_the_sandbox_refuses_mkdocs_ways_out_whatever_the_template(tmp_path):
    """Defence in depth: the theme's environment refuses both escapes even for a template no check has seen."""
    import jinja2
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.theme import Theme

    from gitdesk.portal import mkdocs_hooks

    marker = tmp_path / "ran"
    (tmp_path / "docs").mkdir()
    cfg = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    cfg.load_dict({"site_name": "x", "docs_dir": str(tmp_path / "docs"), "site_dir": str(tmp_path / "site"),
                   "theme": {"name": "material"}, "plugins": ["search"], "hooks": [mkdocs_hooks.__file__]})
    assert cfg.validate() == ([], [])
    env = mkdocs_hooks.sandboxed(Theme(name="material").get_env())
    for template in [ESCAPES[name][0] % marker for name in sorted(ESCAPES)] + [
        '{{ (config.get("plugins").values() | list | last | attr("on_env"))(none, config=config, files=none) }}',
        '{% for k, v in config.items() %}{% if k == "plugins" %}{{ v.items() }}{% endif %}{% endfor %}',
        '{{ (config.theme | attr("get_env"))() }}',
        '{% for k, hk in config.plugins.items() %}{{ hk.jinja2.Environment }}{% endfor %}',
        '{% for k, hk in config["plugins"] | dictsort %}{{ hk.jinja2.Environment }}{{ hk.on_env }}{% endfor %}',
        # mkdocs' configuration loads YAML with a loader that builds any Python object, and can be changed
        f'{{{{ config.load_file("x: !!python/object/apply:os.system [touch {marker}]") }}}}',
        f'{{{{ config.plugins["material/search"].config.load_file("x: !!python/object/apply:os.system [touch {marker}]") }}}}',
        '{{ config.update({"site_dir": "/tmp"}) }}',
        '{{ config.load_dict({"site_dir": "/tmp"}) }}',
    ]:
        with pytest.raises(jinja2.TemplateError):  # SecurityError, or an undefined attribute used
            env.from_string(template.replace('{% extends "base.html" %}', "")).render(config=cfg)
        assert not marker.exists(), template
    # material reads plugins' names and options: that still works
    assert env.from_string('{{ "material/search" in config.plugins }} '
                           '{{ (config.plugins["material/search"] | attr("config")).lang }}').render(config=cfg) == "True None"


def test_a_page_cannot_make_an_asset_its_template(repo, tmp_path):
    """An override's .js is an asset, never a template; a public page may not name its template."""
    marker = tmp_path / "ran"
    repo.write("site_src/overrides/theme.js",
               f'A{{{{ config.load_file("x: !!python/object/apply:os.system [touch {marker}]") }}}}\n')
    repo.write("site_src/public/news.md", "---\ntitle: News\ntemplate: theme.js\n---\n# News\n")
    repo.write("site_src/public/other.md", "Title: Other\nTemplate: theme.js\n\n# Other\n")
    (repo.root / "site_src/public/bom.md").write_bytes(b"\xef\xbb\xbf---\ntemplate: sitemap.xml\n---\n# BOM\n")
    repo.write("site_src/public/more.md", "title: x\n    continued\ntemplate: sitemap.xml\n\n# More\n")
    for command in (("validate",), ("check", "--now", NOW), ("build", "--out", str(tmp_path / "site"), "--now", NOW)):
        result = repo.run(*command)
        assert result.exit_code == 1, result.output
        for where in ("news.md:3:1", "other.md:2:1", "bom.md:2:1", "more.md:3:1"):
            assert f"site_src/public/{where}: a page of the portal may not choose its template" in result.output
    assert not marker.exists() and not (tmp_path / "site/public").exists()


def test_every_plugin_renders_in_the_sandbox_and_no_page_picks_its_template():
    """gitdesk's hook gives the sandbox before any plugin renders (material's tags renders listings in
    its on_env), and drops a page's template: whatever the checks before the build missed."""
    from material.plugins.tags.plugin import TagsPlugin

    from gitdesk.portal import mkdocs_hooks

    assert mkdocs_hooks.on_env.mkdocs_priority > TagsPlugin.on_env.mkdocs_priority

    class Page:
        meta = {"template": "sitemap.xml", "title": "x"}

        class file:
            src_uri = "x.md"

    class Config:
        extra: dict = {}

    mkdocs_hooks.on_page_markdown("# x", Page, Config, None)
    assert "template" not in Page.meta


def test_the_theme_gives_only_templates_as_templates(tmp_path):
    """Whatever asks for it, the theme's loader gives no asset (.js, .css, .md) as a template."""
    import jinja2

    from gitdesk.portal import mkdocs_hooks

    (tmp_path / "theme.js").write_text("{{ 7 * 7 }}")
    (tmp_path / "main.html").write_text("{{ 6 * 7 }}")
    env = mkdocs_hooks.sandboxed(jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path))))
    assert env.get_template("main.html").render() == "42"
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("theme.js")


def test_an_include_through_a_folder_link_leaks_nothing(repo, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("OUTSIDE-SECRET-2718\n")
    (repo.root / "site_src/overrides").mkdir(parents=True)
    (repo.root / "site_src/overrides/up").symlink_to("../..")  # the repository itself, through a link
    (repo.root / "notes.txt").symlink_to("/proc/self/environ")
    (repo.root / "secret.txt").symlink_to(secret)
    repo.write("site_src/overrides/main.html", '{% extends "base.html" %}\n{% block footer %}'
               'INC[{% include "up/notes.txt" %}|{% include "up/secret.txt" %}]{{ super() }}{% endblock %}\n')
    out = tmp_path / "site"
    from conftest import gitdesk_exe

    result = subprocess.run([*gitdesk_exe(), "--repo", str(repo.root), "build", "--out", str(out), "--now", NOW],
                            env=dict(os.environ, CANARY_SECRET="zx81canary"), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "site_src/overrides/up:1:1: a link to a folder" in result.stderr
    assert 'site_src/overrides/main.html:2:23: theme overrides may hold HTML inside blocks and {{ super() }} only: ' \
           '{% include "up/notes.txt" %} is not allowed' in result.stderr
    built = ""
    for path in out.rglob("*") if out.exists() else ():
        if path.is_file():
            built += path.read_bytes().decode("utf-8", "replace")
    shown = result.stdout + result.stderr + built  # the error quotes the template's own line: nothing else
    assert "zx81canary" not in shown and "OUTSIDE-SECRET-2718" not in shown and "INC[" not in built


def test_overrides_are_read_from_checked_bytes_and_a_link_change_rebuilds(repo, tmp_path):
    out = tmp_path / "site"
    repo.write("site_src/theme-a/main.html", '{% extends "base.html" %}{% block extrahead %}<meta name="v" content="AAA">{% endblock %}')
    repo.write("site_src/theme-b/main.html", '{% extends "base.html" %}{% block extrahead %}<meta name="v" content="BBB">{% endblock %}')
    (repo.root / "site_src/overrides").symlink_to("theme-a")  # a folder link: refused, even inside the repository
    refused = repo.run("build", "--out", str(out), "--now", NOW)
    assert refused.exit_code == 1 and "site_src/overrides:1:1: a link to a folder" in refused.output, refused.output
    assert repo.run("validate").exit_code == 1
    (repo.root / "site_src/overrides").unlink()
    (repo.root / "site_src/overrides").mkdir()
    (repo.root / "site_src/overrides/main.html").symlink_to("../theme-a/main.html")  # a file link inside: followed
    first = repo.run("build", "--out", str(out), "--now", NOW)
    assert first.exit_code == 0 and 'content="AAA"' in (out / "customers/acme/index.html").read_text()
    again = repo.run("build", "--out", str(out), "--now", NOW)
    assert "built 0 sites, 4 unchanged" in again.output, again.output  # nothing changed: nothing built
    (repo.root / "site_src/overrides/main.html").unlink()
    (repo.root / "site_src/overrides/main.html").symlink_to("../theme-b/main.html")  # retargeted: the sites are rebuilt
    rebuilt = repo.run("build", "--out", str(out), "--now", NOW)
    assert "built 4 sites, 0 unchanged" in rebuilt.output, rebuilt.output
    page = (out / "customers/acme/index.html").read_text()
    assert 'content="BBB"' in page and 'content="AAA"' not in page


#: Refused constructs: the template (as site_src/overrides/main.html unless a path is given), where, and what is quoted.
REFUSED = [
    ('{% extends "base.html" %}\n{% block extrahead %}{{ config.site_name }}{% endblock %}', 2, 22, "{{ config.site_name }}"),
    ('{% extends "base.html" %}\n{% block content %}\n  <p>{{ page.title | upper }}</p>\n{% endblock %}', 3, 6, "{{ page.title | upper }}"),
    ('{% extends "base.html" %}{% block footer %}{{ lipsum() }}{% endblock %}', 1, 44, "{{ lipsum() }}"),
    ('{% extends "base.html" %}\n{% set x = 1 %}', 2, 1, "{% set x = 1 %}"),
    ('{% extends "base.html" %}\n{% block footer %}{% if true %}x{% endif %}{{ super() }}{% endblock %}', 2, 19, "{% if true %}"),
    ('{% extends "base.html" %}\n{% import "partials/language.html" as lang %}', 2, 1, "{% import"),
    ('{% from "partials/nav-item.html" import render %}', 1, 1, "{% from"),
    ('{% extends "base.html" %}\n{% block footer %}{% include "partials/footer.html" %}{% endblock %}', 2, 19, "{% include"),
    ('{% macro m() %}x{% endmacro %}', 1, 1, "{% macro m() %}"),
    ('{% extends "base.html" %}{% block a %}{% call m() %}x{% endcall %}{% endblock %}', 1, 39, "{% call m() %}"),
    ('{% extends "base.html" %}{% block a %}{% filter upper %}x{% endfilter %}{% endblock %}', 1, 39, "{% filter upper %}"),
    ('{% extends "base.html" %}{% block a %}{% with x = 1 %}x{% endwith %}{% endblock %}', 1, 39, "{% with x = 1 %}"),
    ('{% extends "base.html" %}{% block a %}{% trans %}hi{% endtrans %}{% endblock %}', 1, 39, "{% trans %}"),
    ('<p>{# {{ not this }} #}{% raw %}{{ nor this }}{% endraw %}{{ "}}" ~ x }}</p>', 1, 59, '{{ "}}" ~ x }}'),
    ('{{ super() }}', 1, 1, "outside a block"),
    ('{% extends layout %}', 1, 1, "in quotes"),
    ('{% extends "../../../etc/passwd" %}', 1, 1, "the theme has no such template"),
    ('{% extends "base.html" %}\n{% block a %}{% endblock %}{% extends "main.html" %}', 2, 28, "once"),
    ('{% extends "base.html" %}\n{% block a %}\n{% for x in y %}', 3, 1, "not a template Jinja can read"),
    (("sitemap.xml", '<urlset>{{ config }}</urlset>'), 1, 1, "not a file theme overrides may hold"),
    ((".icons/custom/x.svg", '<svg>{{ config.theme.get_env() }}</svg>'), 1, 6, "{{ config.theme.get_env() }}"),
    (("hooks.py", 'import os\n'), 1, 1, "not a file theme overrides may hold"),
    ('{% extends "base.html" %}{% block a %}{% endblock %}\n{% block a %}{% endblock %}', 2, 1, "a second block named 'a'"),
    ('{{ ' + '(' * 20000 + ' }}', 1, 1, "nested too deeply"),
]


@pytest.mark.parametrize("template, line, column, quoted", REFUSED,
                         ids=lambda v: (v[0] if isinstance(v, tuple) else str(v))[:48])
def test_refused_override_constructs_are_located(repo, template, line, column, quoted):
    name, text = template if isinstance(template, tuple) else ("main.html", template)
    repo.write(f"site_src/overrides/{name}", text)
    result = repo.run("validate")
    assert result.exit_code == 1, result.output
    assert f"site_src/overrides/{name}:{line}:{column}: " in result.output and quoted in result.output, result.output
    assert result.output.count(f"site_src/overrides/{name}:") == 1, result.output  # one problem, at its place


def test_a_template_full_of_refused_constructs_is_reported_in_short(repo):
    repo.write("site_src/overrides/main.html", "{{ x }}\n" * 5000)
    result = repo.run("validate")
    assert result.exit_code == 1 and result.output.count("site_src/overrides/main.html:") == 51, result.output[-500:]
    assert "site_src/overrides/main.html:51:1: theme overrides may hold HTML inside blocks and {{ super() }} only: " \
           "4950 more constructs from here on are not allowed" in result.output


def test_overrides_that_present_html_only_pass_and_build(repo, tmp_path):
    """The demo's override, blocks with HTML and {{ super() }}, comments, raw, whitespace control and assets pass."""
    repo.write("site_src/overrides/main.html", DEMO_OVERRIDE)
    repo.write("site_src/overrides/partials/copyright.html", '<div class="md-copyright">{# ours #}© Us</div>\n')
    repo.write("site_src/overrides/404.html", '{%- extends "main.html" -%}\n{% block content %}{% raw %}{{ lost }}{% endraw %}'
               '<h1>Not here</h1>{% endblock %}\n{% block extrahead scoped %}{{- super() -}}<meta name="x" content="y">{% endblock %}')
    repo.write("site_src/overrides/.icons/custom/mark.svg", '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h24v24H0z"/></svg>\n')
    repo.write("site_src/overrides/assets/extra.css", ".md-header { color: red }\n")
    (repo.root / "site_src/overrides/assets/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    result = repo.run("validate")
    assert result.exit_code == 0 and "site_src" not in result.output, result.output
    built = repo.run("build", "--out", str(tmp_path / "site"), "--now", NOW)
    assert built.exit_code == 0, built.output
    page = (tmp_path / "site/customers/acme/index.html").read_text()
    assert '<meta name="robots" content="noindex, nofollow">' in page and "© Us" in page
    assert "{{ lost }}" in (tmp_path / "site/customers/acme/404.html").read_text()
    assert (tmp_path / "site/customers/acme/assets/logo.png").read_bytes() == b"\x89PNG\r\n\x1a\n\0\0"
