"""The portal's built-in theme: what every site gets whatever site_src holds.

Page bodies (tables in scrollable named regions, figures out of the search
index, words kept apart), the search separator per language, only the assets
a site uses, noindex on private sites only, the 404 page in the site's
language, and the theme's files in the package.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import ROOT
from gitdesk.portal import sitetheme
from gitdesk.portal.pages import html_page
from test_portal import demo, run  # noqa: F401 (the demo portal, built once for this module too)


def test_every_table_sits_in_a_named_scrollable_region():
    _, body = html_page("<h2>Richieste aperte</h2>\n<table class='x'><tr><td>a</td></tr></table>\n"
                        "<table><tr><td><table><tr><td>b</td></tr></table></td></tr></table>", "Tabella")
    regions = re.findall(r'<div class="gd-scroll" role="region" tabindex="0" aria-label="([^"]*)">', body)
    assert regions == ["Richieste aperte", "Richieste aperte"]  # the heading above names both; the inner table is not framed again
    assert body.count("<table") == 3 and body.count("</div>") == 2


def test_a_table_without_heading_is_named_by_the_label_and_the_heading_is_escaped():
    _, body = html_page("<table><tr><td>a</td></tr></table><h3>A &amp; &quot;B&quot;</h3><table></table>", "Tabella")
    assert 'aria-label="Tabella"' in body and 'aria-label="A &amp; &quot;B&quot;"' in body


def test_figures_are_left_out_of_the_search_index_and_words_stay_apart():
    from material.plugins.search.plugin import Parser  # the search index's own reading of a page

    _, body = html_page('<table><tr><td>Manodopera</td><td class="gd-num">9,25</td><td>75,00\xa0€</td>'
                        "<td>12 nov 2026</td><th><a>Stato</a></th></tr></table><p>non emette gli<br>scontrini</p>")
    assert '<td class="gd-num" data-search-exclude>9,25 </td>' in body
    assert "<td data-search-exclude>75,00\xa0€ </td>" in body
    assert "<td>Manodopera </td>" in body and "<td>12 nov 2026 </td>" in body  # a date has words: searchable
    assert "gli <br>scontrini" in body
    parser = Parser()
    parser.feed(body)
    text = re.sub(r"<[^>]+>", "", "".join("".join(section.text) for section in parser.data))
    assert text.split() == ["Manodopera", "12", "nov", "2026", "Stato", "non", "emette", "gli", "scontrini"]


def test_the_search_separator_splits_italian_elisions_unless_the_configuration_sets_one():
    assert sitetheme.search_plugins(["search"], "it") == [{"search": {"separator": "[\\s\\-'’]+"}}]
    assert sitetheme.search_plugins([{"search": {"separator": "[\\s]+"}}], "it") == [{"search": {"separator": "[\\s]+"}}]
    assert sitetheme.search_plugins(["search", "tags"], "en") == ["search", "tags"]
    assert re.split(sitetheme.SEPARATORS["it"], "nell'ufficio dell’operatore") == ["nell", "ufficio", "dell", "operatore"]


def test_search_language_files_are_those_materials_worker_loads():
    assert sitetheme.lunr_files(["en"]) == set()
    assert sitetheme.lunr_files(["it"]) == {"min/lunr.it.min.js", "min/lunr.stemmer.support.min.js"}
    assert sitetheme.lunr_files(["it", "en"]) == {"min/lunr.it.min.js", "min/lunr.stemmer.support.min.js",
                                                 "min/lunr.multi.min.js"}
    assert "tinyseg.js" in sitetheme.lunr_files(["ja"])


def test_trim_deletes_only_unused_files_inside_the_site(tmp_path):
    site, outside = tmp_path / "site", tmp_path / "outside"
    lunr = site / "assets/javascripts/lunr/min"
    lunr.mkdir(parents=True)
    outside.mkdir()
    for name in ("lunr.it.min.js", "lunr.de.min.js", "lunr.stemmer.support.min.js", "lunr.multi.min.js"):
        (lunr / name).write_text("x")
    (site / "assets/javascripts/lunr/wordcut.js").write_text("x")
    (site / "assets/javascripts/bundle.js").write_text("code()\n//# sourceMappingURL=bundle.js.map\n")
    (site / "assets/javascripts/bundle.js.map").write_text("{}")
    (outside / "keep.map").write_text("{}")
    os.symlink(outside, site / "assets/linked")  # a link to a folder outside: never followed
    sitetheme.trim(site, ["it"])
    left = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and not p.is_symlink())
    assert left == ["assets/javascripts/bundle.js", "assets/javascripts/lunr/min/lunr.it.min.js",
                    "assets/javascripts/lunr/min/lunr.stemmer.support.min.js"]
    assert (site / "assets/javascripts/bundle.js").read_text() == "code()\n"
    assert (outside / "keep.map").exists()


def test_a_demo_site_carries_only_what_it_uses(demo):
    for site in [demo / "public"] + sorted((demo / "customers").iterdir()):
        files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
        assert not [f for f in files if f.endswith(".map")], site
        lunr = {f for f in files if f.startswith("assets/javascripts/lunr/")}
        assert lunr == {"assets/javascripts/lunr/min/lunr.it.min.js",
                        "assets/javascripts/lunr/min/lunr.stemmer.support.min.js"}, site
        config = json.loads((site / "search/search_index.json").read_text())["config"]
        assert config["lang"] == ["it"] and "'" in config["separator"] and "’" in config["separator"]
        page = (site / "index.html").read_text()
        assert 'href="assets/gitdesk/gitdesk.css"' in page and 'src="assets/gitdesk/gitdesk.js"' in page
        assert page.index("assets/gitdesk/gitdesk.css") < page.index("stylesheets/demo.css")  # the provider's wins
    size = sum(p.stat().st_size for p in (demo / "customers/belvedere").rglob("*") if p.is_file())
    assert size < 1_200_000  # it was about 3 MB with every search language and the source maps


def test_noindex_on_private_sites_only_and_the_public_home_leads_to_the_customer_area(demo):
    robots = '<meta name="robots" content="noindex, nofollow">'
    for page in (demo / "public").rglob("*.html"):
        assert "noindex" not in page.read_text(), page
    for page in list((demo / "customers/brivio").rglob("*.html")):
        assert page.read_text().count(robots) == 1, page
    home = re.sub(r"\s+(?=<)", "", (demo / "public/index.html").read_text())  # without the spaces ending blocks
    section = re.search(r'<section class="gd-customer-area" aria-labelledby="area-clienti">'
                        r'<h2 id="area-clienti">Area clienti</h2>(.*?)</section>', home, re.S).group(1)
    # a GET form, no script: the web server turns /customers/?c=<code> into the customer's own site
    form = re.search(r'<form class="gd-enter" method="get" action="\.\./customers/">(.*?)</form>', section, re.S).group(1)
    assert '<label for="gd-customer-code">Codice cliente</label>' in form
    field = re.search(r"<input ([^>]*)>", form).group(1)
    for attribute in ('id="gd-customer-code"', 'name="c"', 'type="text"', "required", 'maxlength="64"',
                      r'pattern="[a-z0-9][a-z0-9\-]{0,63}"', 'aria-describedby="gd-customer-code-hint"'):
        assert attribute in field, attribute
    assert '<button type="submit" class="md-button md-button--primary">Entra</button>' in form
    assert ('<span class="gd-enter__hint" id="gd-customer-code-hint">'
            "Il codice cliente è indicato nella lettera con le credenziali di accesso.</span>") in form
    assert "<script" not in section


def test_the_404_page_speaks_the_sites_language_and_links_from_the_sites_root(demo):
    page = (demo / "customers/brivio/404.html").read_text()
    assert "<h1>Pagina non trovata</h1>" in page and "Not found" not in page
    assert 'href="/customers/brivio/assets/gitdesk/gitdesk.css"' in page and '"base": "/customers/brivio/"' in page
    assert 'href="/public/assets/gitdesk/gitdesk.css"' in (demo / "public/404.html").read_text()


def test_the_search_dialog_has_a_name(demo):
    page = (demo / "customers/brivio/index.html").read_text()
    assert re.search(r'<div class="md-search" data-md-component="search" role="dialog" aria-label="Cerca">', page)


def test_the_theme_is_package_data():
    """A non-editable install carries the templates and the theme: pyproject's package-data names them all."""
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["gitdesk"]
    package = ROOT / "tools/gitdesk"
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    needed = {p for p in (package / "portal").rglob("*") if p.is_file() and p.suffix in (".j2", ".css", ".js", ".html")}
    assert needed and needed <= shipped, sorted(str(p) for p in needed - shipped)


def test_the_theme_files_listed_once_are_those_mkdocs_lists(tmp_path):
    """The theme's static files are listed once per process and theme folders: the same files as mkdocs' own listing."""
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

    from gitdesk.portal import build

    build._theme_files_listed_once()
    (tmp_path / "docs").mkdir()
    custom = tmp_path / "overrides"
    (custom / "assets").mkdir(parents=True)
    (custom / "assets/extra.css").write_text("a{}")
    cfg = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    cfg.load_dict({"site_name": "x", "docs_dir": str(tmp_path / "docs"), "site_dir": str(tmp_path / "site"),
                   "theme": {"name": "material", "custom_dir": str(custom)}})
    assert cfg.validate()[0] == []
    env = cfg.theme.get_env()
    ours, theirs, again = Files([]), Files([]), Files([])
    Files.add_files_from_theme(ours, env, cfg)
    Files.add_files_from_theme.original(theirs, env, cfg)
    Files.add_files_from_theme(again, env, cfg)  # from the list kept
    listed = lambda files: sorted((f.src_uri, f.abs_src_path) for f in files)  # noqa: E731
    assert listed(ours) == listed(theirs) == listed(again)
    assert ("assets/extra.css", str(custom / "assets/extra.css")) in listed(ours) and len(ours) > 30
