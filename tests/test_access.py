"""Access control of the portal: logins in the data, ``gitdesk portal passwd``, the web-server files.

The last test serves a built portal with a real nginx on 127.0.0.1 and proves
what a visitor can and cannot open, with and without a password.
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import os
import re
import socket
import stat
import subprocess
import time
from pathlib import Path

import bcrypt
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from hypothesis import given, strategies as st

from conftest import ACME
from gitdesk.portal import webserver
from gitdesk.commands.portal import edit_logins
from gitdesk.load.loader import load
from gitdesk.main import cli
from gitdesk.core.model import ID_PATTERN, Customer

NGINX = "/usr/sbin/nginx"
NOW = "2026-11-22 12:00"
#: A cheap hash for tests that do not check a password (cost 4 instead of 12).
HASH = bcrypt.hashpw(b"not-checked-here", bcrypt.gensalt(4)).decode()


def passwd(repo, *args: str, input: str | None = None, env: dict | None = None):
    """``gitdesk portal passwd`` as a user runs it, with ``input`` as standard input."""
    return CliRunner().invoke(cli, ["--repo", str(repo.root), "portal", "passwd", *args], input=input,
                              env={"GITDESK_NO_CACHE": "1", **(env or {})})


def logins_of(repo, customer: str) -> dict[str, str]:
    return {login.user: login.hash for login in load(repo.root).customers[customer].logins}


# ---------------------------------------------------------------- the model


def test_a_bcrypt_hash_is_accepted():
    customer = Customer.model_validate({"name": "X", "logins": [{"user": "m.rossi_2-x", "hash": HASH}]})
    assert customer.logins[0].user == "m.rossi_2-x" and customer.logins[0].hash == HASH


@pytest.mark.parametrize("value", ["secret-password", "", HASH[:-1], HASH + "x", HASH + "\n", "$2b$12$" + "!" * 53, "$1$" + HASH[3:]])
def test_anything_but_a_bcrypt_hash_is_refused(value):
    with pytest.raises(ValidationError, match=r"hash must be a bcrypt hash \(write it with: gitdesk portal passwd CUSTOMER USER\)"):
        Customer.model_validate({"name": "X", "logins": [{"user": "mrossi", "hash": value}]})


@pytest.mark.parametrize("user", ["MRossi", "m rossi", "", "a" * 65, "m:rossi", "mrossi\n"])
def test_invalid_user_names_are_refused(user):
    with pytest.raises(ValidationError, match="invalid user"):
        Customer.model_validate({"name": "X", "logins": [{"user": user, "hash": HASH}]})


def test_a_user_twice_in_one_customer_is_an_error():
    with pytest.raises(ValidationError, match="user 'mrossi' is listed twice in logins"):
        Customer.model_validate({"name": "X", "logins": [{"user": "mrossi", "hash": HASH}, {"user": "mrossi", "hash": HASH}]})


def test_validate_locates_a_plain_password(repo):
    repo.write("contracts/customers/beta.yaml", "name: Beta Studio\nlogins:\n  - {user: anna, hash: hunter2hunter2}\n")
    result = repo.run("validate")
    assert result.exit_code == 1
    assert "contracts/customers/beta.yaml:3:" in result.output
    assert "a password never goes in git" in result.output


def test_the_same_user_may_log_in_to_two_customers(repo):
    repo.write("contracts/customers/acme.yaml", ACME + f'logins:\n  - {{user: mrossi, hash: "{HASH}"}}\n')
    repo.write("contracts/customers/beta.yaml", f'name: Beta Studio\nlogins:\n  - {{user: mrossi, hash: "{HASH}"}}\n')
    assert repo.run("validate").exit_code == 0


# ---------------------------------------------------------------- gitdesk portal passwd


def test_passwd_appends_a_logins_block_and_keeps_the_file(repo):
    result = passwd(repo, "acme", "mrossi", "--stdin", input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    text = (repo.root / "contracts/customers/acme.yaml").read_text()
    assert text.startswith(ACME)
    added = text[len(ACME):]
    m = re.fullmatch(r'logins:\n  - \{user: mrossi, hash: "(?P<hash>[^"]+)"\}\n', added)
    assert m, added
    assert bcrypt.checkpw(b"correct horse battery", m.group("hash").encode())
    assert m.group("hash").startswith("$2b$12$")  # cost 12
    assert "correct horse battery" not in result.output and m.group("hash") not in result.output
    assert "mrossi" in result.stdout and "acme" in result.stdout
    assert logins_of(repo, "acme") == {"mrossi": m.group("hash")}
    assert repo.run("validate").exit_code == 0


COMMENTED = f"""\
# Beta: a small studio
name: Beta Studio   # trading name
logins:             # who opens the private site
  - {{user: anna, hash: "{HASH}"}}   # Anna, the owner

  # the accountant
  - {{user: carlo.b, hash: "{HASH}"}}
contacts:
  - {{name: Anna Beta}}
# end of file
"""


def test_passwd_replaces_a_users_line_and_keeps_every_other_line(repo):
    path = repo.write("contracts/customers/beta.yaml", COMMENTED)
    result = passwd(repo, "beta", "carlo.b", "--stdin", input="a new password\n")
    assert result.exit_code == 0, result.output
    before, after = COMMENTED.splitlines(), path.read_text().splitlines()
    assert len(after) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == [6]
    new_hash = logins_of(repo, "beta")["carlo.b"]
    assert after[6] == f'  - {{user: carlo.b, hash: "{new_hash}"}}'
    assert bcrypt.checkpw(b"a new password", new_hash.encode())
    assert logins_of(repo, "beta")["anna"] == HASH


def test_passwd_appends_to_an_existing_list(repo):
    path = repo.write("contracts/customers/beta.yaml", COMMENTED)
    result = passwd(repo, "beta", "dora", "--stdin", input="password of dora\n")
    assert result.exit_code == 0, result.output
    lines = path.read_text().splitlines()
    assert lines[:7] == COMMENTED.splitlines()[:7]
    assert lines[7].startswith('  - {user: dora, hash: "$2b$12$')
    assert lines[8:] == COMMENTED.splitlines()[7:]
    assert set(logins_of(repo, "beta")) == {"anna", "carlo.b", "dora"}


def test_passwd_asks_twice_without_echo(repo):
    result = passwd(repo, "acme", "mrossi", input="typed twice here\ntyped twice here\n")
    assert result.exit_code == 0, result.output
    assert "typed twice here" not in result.output
    assert "Repeat" in result.output  # the confirmation prompt
    assert bcrypt.checkpw(b"typed twice here", logins_of(repo, "acme")["mrossi"].encode())


def test_passwd_asks_again_for_a_short_password(repo):
    result = passwd(repo, "acme", "mrossi", input="short\nlong enough now\nlong enough now\n")
    assert result.exit_code == 0, result.output
    assert "at least 10 characters" in result.output
    assert bcrypt.checkpw(b"long enough now", logins_of(repo, "acme")["mrossi"].encode())


def test_passwd_remove(repo):
    path = repo.write("contracts/customers/beta.yaml", COMMENTED)
    result = passwd(repo, "beta", "anna", "--remove")
    assert result.exit_code == 0, result.output
    assert "removed" in result.stdout
    expected = [line for i, line in enumerate(COMMENTED.splitlines()) if i != 3]
    assert path.read_text().splitlines() == expected
    assert set(logins_of(repo, "beta")) == {"carlo.b"}
    assert passwd(repo, "beta", "carlo.b", "--remove").exit_code == 0
    assert "logins: []" in path.read_text()
    assert logins_of(repo, "beta") == {}
    assert repo.run("validate").exit_code == 0


def test_passwd_remove_of_an_unknown_user(repo):
    result = passwd(repo, "acme", "nobody", "--remove")
    assert result.exit_code == 2
    assert "acme has no login 'nobody'" in result.output
    assert "Traceback" not in result.output


def test_passwd_unknown_customer(repo):
    result = passwd(repo, "acmx", "mrossi", "--stdin", input="long enough password\n")
    assert result.exit_code == 2
    assert "no customer 'acmx'" in result.output and "did you mean 'acme'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("customer", ["../plans/annual", "ACME", "acme.yaml"])
def test_passwd_customer_must_be_an_id(repo, customer):
    result = passwd(repo, customer, "mrossi", "--stdin", input="long enough password\n")
    assert result.exit_code == 2
    assert "invalid customer" in result.output


@pytest.mark.parametrize("password,message", [
    ("short\n", "at least 10 characters"),
    ("", "no password on standard input"),
    ("x" * 73 + "\n", "at most 72 bytes"),
])
def test_passwd_refuses_a_bad_password(repo, password, message):
    before = (repo.root / "contracts/customers/acme.yaml").read_text()
    result = passwd(repo, "acme", "mrossi", "--stdin", input=password)
    assert result.exit_code == 2
    assert message in result.output
    assert (repo.root / "contracts/customers/acme.yaml").read_text() == before


def test_passwd_refuses_an_invalid_user_name(repo):
    result = passwd(repo, "acme", "Mario Rossi", "--stdin", input="long enough password\n")
    assert result.exit_code == 2 and "invalid user" in result.output


def test_passwd_refuses_a_file_with_errors(repo):
    path = repo.write("contracts/customers/beta.yaml", "name: Beta Studio\nlogins:\n  - {user: anna, hash: plain-password}\n")
    result = passwd(repo, "beta", "carlo", "--stdin", input="long enough password\n")
    assert result.exit_code == 1
    assert "fix them first" in result.output
    assert path.read_text() == "name: Beta Studio\nlogins:\n  - {user: anna, hash: plain-password}\n"


def test_passwd_quotes_a_user_name_yaml_would_read_as_a_number():
    text, done = edit_logins("name: X\n", "1234", HASH)
    assert done == "added" and f'- {{user: "1234", hash: "{HASH}"}}' in text


def test_edit_logins_keeps_crlf_and_fills_an_empty_list():
    text, _ = edit_logins("name: X\r\nlogins: []  # none yet\r\n", "anna", HASH)
    assert text == f'name: X\r\nlogins:  # none yet\r\n  - {{user: anna, hash: "{HASH}"}}\r\n'


# ---------------------------------------------------------------- the web-server files


def _locations(conf: str) -> dict[str, str]:
    """nginx location blocks by their path (prefix locations only)."""
    found = {}
    for m in re.finditer(r"location (/[^\s{]*) \{(.*?)\}", conf, re.S):
        found[m.group(1)] = m.group(2)
    return found


@pytest.fixture
def with_logins(repo):
    repo.write("contracts/customers/acme.yaml", ACME + f'logins:\n  - {{user: mrossi, hash: "{HASH}"}}\n  - {{user: anna, hash: "{HASH}"}}\n')
    repo.write("contracts/customers/gamma.yaml", f'name: Gamma\nlogins:\n  - {{user: mrossi, hash: "{HASH}"}}\n')
    return load(repo.root)


def test_nginx_each_customer_has_its_own_user_file_and_none_is_open(with_logins, tmp_path):
    out = tmp_path / "portal"
    conf = webserver.nginx_server(with_logins, out)
    where = _locations(conf)
    assert f'auth_basic_user_file "{out}/.auth/acme.htpasswd";' in where["/customers/acme/"]
    assert f'auth_basic_user_file "{out}/.auth/gamma.htpasswd";' in where["/customers/gamma/"]
    assert "acme" not in where["/customers/gamma/"] and "gamma" not in where["/customers/acme/"]
    assert "/customers/beta/" not in where  # no logins: under /customers/, which nobody can open
    assert f'auth_basic_user_file "{out}/.auth/_nobody.htpasswd";' in where["/customers/"]
    assert where["/"].strip() == "deny all;"
    # one realm for every customer (no customer id), and the staff site's own
    assert set(re.findall(r'auth_basic "([^"]*)";', conf)) == {webserver.REALM, webserver.STAFF_REALM}
    assert "location ~ /\\. { deny all; }" in conf
    assert "listen 8080;" in conf and "server_name _;" in conf and f'root "{out}";' in conf
    assert "location = / { return 302 /public/; }" in conf


def test_nginx_listen_and_server_name(with_logins, tmp_path):
    conf = webserver.nginx_server(with_logins, tmp_path, listen="127.0.0.1:9999", server_name="portal.example.it")
    assert "listen 127.0.0.1:9999;" in conf and "server_name portal.example.it;" in conf
    with pytest.raises(webserver.WebServerError, match="invalid listen"):
        webserver.nginx_server(with_logins, tmp_path, listen="99999")
    with pytest.raises(webserver.WebServerError, match="invalid server name"):
        webserver.nginx_server(with_logins, tmp_path, server_name="a b; deny none")


def test_a_folder_a_config_would_misread_is_refused(with_logins, tmp_path):
    with pytest.raises(webserver.WebServerError, match=r"contains '\$'"):
        webserver.nginx_server(with_logins, tmp_path / "site$uri")


def test_apache_and_caddy_have_the_same_rules(with_logins, tmp_path):
    apache = webserver.apache_config(with_logins, tmp_path)
    acme = re.search(rf'<Directory "{tmp_path}/customers/acme">(.*?)</Directory>', apache, re.S).group(1)
    assert f'AuthUserFile "{tmp_path}/.auth/acme.htpasswd"' in acme and "Require" not in acme
    customers = re.search(rf'<Directory "{tmp_path}/customers">(.*?)</Directory>', apache, re.S).group(1)
    assert f'AuthUserFile "{tmp_path}/.auth/_nobody.htpasswd"' in customers and "Require valid-user" in customers
    assert f'<Directory "{tmp_path}/customers/beta">' not in apache  # no logins: nobody gets in
    assert set(re.findall(r'AuthName "([^"]*)"', apache)) == {webserver.REALM, webserver.STAFF_REALM}
    root = re.search(rf'<Directory "{tmp_path}">(.*?)</Directory>', apache, re.S).group(1)
    assert "Require all denied" in root

    caddy = webserver.caddyfile(with_logins, tmp_path)
    # the site's own handle blocks (one tab in: not those of handle_errors)
    blocks = dict(re.findall(r"^\thandle (/customers/[a-z0-9-]+/\*) \{\n(.*?)\n\t\}\n", caddy, re.S | re.M))
    assert f"mrossi {HASH}" in blocks["/customers/acme/*"] and "anna" in blocks["/customers/acme/*"]
    assert "anna" not in blocks["/customers/gamma/*"]
    assert "/customers/beta/*" not in blocks
    rest = re.search(r"\thandle /customers/\* \{\n(.*?)\n\t\}\n", caddy, re.S).group(1)
    assert f'basic_auth bcrypt "{webserver.REALM}"' in rest and "error 403" in rest
    assert set(re.findall(r'basic_auth bcrypt "([^"]*)"', caddy)) == {webserver.REALM, webserver.STAFF_REALM}
    assert caddy.rstrip().endswith("handle {\n\t\terror 403\n\t}\n}")


# ---------------------------------------------------------------- the entry form and the 404 pages


@given(st.text(alphabet="abz09-_./AZ%è ", max_size=70))
def test_a_customer_code_is_a_customer_id_of_at_most_64_characters(code):
    """The web servers' test and the form's pattern take exactly the customer ids (core.model) up to 64 characters."""
    expected = re.fullmatch(ID_PATTERN, code) is not None and len(code) <= webserver.CODE_MAX
    assert (re.fullmatch(webserver.CODE_PATTERN, code) is not None) == expected
    # the form's pattern as the browser reads it: the whole value, '\-' a literal hyphen
    assert (re.fullmatch(webserver.CODE_PATTERN_HTML, code) is not None) == expected


def test_nginx_entry_form_and_not_found_pages(with_logins, tmp_path):
    conf = webserver.nginx_server(with_logins, tmp_path)
    entry = re.search(r"    location = /customers/ \{\n(.*?)\n    \}\n", conf, re.S).group(1)
    assert entry.splitlines() == [
        '        if ($arg_c ~ "^[a-z0-9][a-z0-9-]{0,63}$") { return 302 /customers/$arg_c/; }',
        '        return 302 "/public/#customer-area";',  # quoted: '#' starts a comment in nginx
    ]
    assert "location /public/ { error_page 404 /public/404.html; }" in conf
    where = _locations(conf)
    assert "error_page 404 /staff/404.html;" in where["/staff/"]
    assert "error_page 404 /customers/acme/404.html;" in where["/customers/acme/"]
    assert "error_page 404 /customers/gamma/404.html;" in where["/customers/gamma/"]
    assert "error_page" not in where["/customers/"]  # nobody opens an unlisted folder: 401, never a page
    assert conf.count("error_page") == 4


def test_the_form_goes_back_to_the_public_homes_section_in_the_providers_language(with_logins, tmp_path):
    assert webserver.area_anchor(with_logins) == "customer-area"
    italian = dataclasses.replace(with_logins, provider=with_logins.provider.model_copy(update={"language": "it"}))
    assert webserver.area_anchor(italian) == "area-clienti"
    assert 'return 302 "/public/#area-clienti";' in webserver.nginx_server(italian, tmp_path)


def test_apache_entry_form_and_not_found_pages(with_logins, tmp_path):
    apache = webserver.apache_config(with_logins, tmp_path)
    assert "mod_rewrite" in apache.split("<VirtualHost")[0]  # the header names the module it needs
    assert ("    RewriteEngine On\n"
            "    RewriteCond %{QUERY_STRING} (?:^|&)c=([a-z0-9][a-z0-9-]{0,63})(?:&|$)\n"
            "    RewriteRule ^/customers/$ /customers/%1/ [R=302,QSD,L]\n"
            "    RewriteRule ^/customers/$ /public/#customer-area [R=302,QSD,NE,L]\n") in apache

    def directory(path: str) -> str:
        return re.search(rf'<Directory "{tmp_path}{path}">(.*?)</Directory>', apache, re.S).group(1)

    assert "ErrorDocument 404 /public/404.html" in directory("/public")
    assert "ErrorDocument 404 /staff/404.html" in directory("/staff")
    assert "ErrorDocument 404 /customers/acme/404.html" in directory("/customers/acme")
    assert "ErrorDocument 404 /customers/gamma/404.html" in directory("/customers/gamma")
    assert "ErrorDocument" not in directory("/customers") and "ErrorDocument" not in directory("")
    assert apache.count("ErrorDocument") == 4


def test_caddy_entry_form_and_not_found_pages(with_logins, tmp_path):
    caddy = webserver.caddyfile(with_logins, tmp_path)
    assert ("\t@enter {\n\t\tpath /customers/\n\t\tvars_regexp code {query.c} ^[a-z0-9][a-z0-9-]{0,63}$\n\t}\n"
            "\t@leave {\n\t\tpath /customers/\n\t\tnot vars_regexp {query.c} ^[a-z0-9][a-z0-9-]{0,63}$\n\t}\n") in caddy
    rest = re.search(r"\thandle /customers/\* \{\n(.*?)\n\t\}\n", caddy, re.S).group(1).splitlines()
    # the redirects come first (redir runs before basic_auth), then the login nobody has
    assert rest[1:3] == ["\t\tredir @enter /customers/{re.code.0}/ 302", '\t\tredir @leave "/public/#customer-area" 302']
    assert rest[3].startswith("\t\tbasic_auth") and rest[-1] == "\t\terror 403"

    errors = re.search(r"\thandle_errors 404 \{\n(.*?)\n\t\}\n\t#", caddy, re.S).group(1)
    served = dict(re.findall(r"\t\thandle (\S+) \{\n\t\t\trewrite \* (\S+)\n\t\t\tfile_server", errors))
    assert served == {"/public/*": "/public/404.html", "/staff/*": "/staff/404.html",
                      "/customers/acme/*": "/customers/acme/404.html", "/customers/gamma/*": "/customers/gamma/404.html"}
    assert "handle_errors {" not in caddy and caddy.count("handle_errors") == 1  # 404 only: a 401 keeps its own answer


def test_htpasswd_lines():
    customer = Customer.model_validate({"name": "X", "logins": [{"user": "a", "hash": HASH}, {"user": "b", "hash": HASH}]})
    text = webserver.htpasswd(customer)
    assert text == f"a:$2y${HASH[4:]}\nb:$2y${HASH[4:]}\n"  # $2b$ and $2y$ are the same bcrypt
    assert bcrypt.checkpw(b"not-checked-here", text.splitlines()[0].split(":", 1)[1].encode())


def test_build_writes_the_files(repo, tmp_path):
    repo.write("contracts/customers/acme.yaml", ACME + f'logins:\n  - {{user: mrossi, hash: "{HASH}"}}\n')
    out = tmp_path / "out"
    (out / ".auth").mkdir(parents=True)
    (out / ".auth" / "gone.htpasswd").write_text("old:x\n")  # a customer removed since
    result = repo.run("build", "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    auth = out / ".auth" / "acme.htpasswd"
    assert auth.read_text() == f"mrossi:$2y${HASH[4:]}\n"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o640
    assert not (out / ".auth" / "beta.htpasswd").exists() and not (out / ".auth" / "gone.htpasswd").exists()
    for name in ("nginx.conf", "apache.conf", "Caddyfile"):
        assert str(out.resolve()) in (out / "webserver" / name).read_text()
    assert stat.S_IMODE((out / "webserver" / "Caddyfile").stat().st_mode) == 0o640
    assert not list(out.rglob("*.tmp"))


def test_configs_name_the_folder_the_server_sees_when_built_elsewhere(with_logins, tmp_path):
    out = tmp_path / "out"
    webserver.write_files(with_logins, out, served_root="/srv/portal")
    conf = (out / "webserver" / "nginx.conf").read_text()
    assert 'root "/srv/portal";' in conf and 'auth_basic_user_file "/srv/portal/.auth/acme.htpasswd";' in conf
    assert str(tmp_path) not in conf
    assert (out / ".auth" / "acme.htpasswd").exists()
    with pytest.raises(webserver.WebServerError, match="absolute path"):
        webserver.write_files(with_logins, out, served_root="srv/portal")


def test_build_refuses_a_bad_listen_setting_without_a_traceback(repo, tmp_path):
    result = CliRunner().invoke(cli, ["--repo", str(repo.root), "build", "--out", str(tmp_path / "out"), "--now", NOW],
                                env={"GITDESK_NO_CACHE": "1", "GITDESK_PORTAL_LISTEN": "everywhere"})
    assert result.exit_code == 2
    assert "invalid listen address 'everywhere'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ---------------------------------------------------------------- a real nginx


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nginx_conf(tmp: Path, include: Path) -> Path:
    """A whole nginx configuration in ``tmp`` around the generated server block."""
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / name).mkdir(exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # workers must read pytest's private temporary folders
        + f"""daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {include};
}}
""")
    return conf


def _get(port: int, path: str, auth: tuple[str, str] | None = None) -> tuple[int, str]:
    """GET from the nginx on 127.0.0.1 (and nowhere else): status and body."""
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


#: A staff login of the nginx portal.
STAFF = ("anna.staff", "staff password 3")


@pytest.fixture
def nginx_portal(repo, tmp_path):
    """The fixture repository's portal, with logins for acme and beta, served by nginx on 127.0.0.1."""
    if not os.path.exists(NGINX):
        reason = f"nginx is needed at {NGINX} (Debian's nginx package; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)  # in CI a missing nginx is a failure, not a skip
        pytest.skip(reason)
    for customer, user, password in (("acme", "mrossi", "acme password 1"), ("beta", "bruno", "beta password 2")):
        result = passwd(repo, customer, user, "--stdin", input=password + "\n")
        assert result.exit_code == 0, result.output
    result = passwd(repo, "--staff", STAFF[0], "--stdin", input=STAFF[1] + "\n")
    assert result.exit_code == 0, result.output
    provider = repo.root / "contracts/provider.yaml"  # in Italian, as the demo: the 404 pages and anchors in Italian
    provider.write_text(provider.read_text().replace("language: en\n", "language: it\n"))
    out = tmp_path / "out"
    run = tmp_path / "nginx"
    run.mkdir()
    for attempt in range(3):  # another process may take the free port between finding and binding it
        port = _free_port()
        result = CliRunner().invoke(cli, ["--repo", str(repo.root), "build", "--out", str(out), "--now", NOW],
                                    env={"GITDESK_NO_CACHE": "1", "GITDESK_PORTAL_LISTEN": f"127.0.0.1:{port}"})
        assert result.exit_code == 0, result.output
        conf = _nginx_conf(run, out / "webserver" / "nginx.conf")
        proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(run), "-e", str(run / "error.log")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                _get(port, "/public/")
                break
            except OSError:
                time.sleep(0.1)
        if proc.poll() is None:
            break
        log = (run / "error.log").read_text() if (run / "error.log").exists() else ""
        err = proc.stderr.read().decode()
        if "Address already in use" not in log + err or attempt == 2:
            pytest.fail(f"nginx did not start:\n{err}\n{log}")
    else:  # pragma: no cover
        pytest.fail("nginx did not start")
    try:
        if proc.poll() is not None:
            pytest.fail("nginx stopped")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_nginx_serves_each_customer_to_its_logins_only(nginx_portal):
    port = nginx_portal
    acme = ("mrossi", "acme password 1")

    status, body = _get(port, "/public/")
    assert status == 200 and "Assistenza Rapida" in body

    assert _get(port, "/customers/acme/")[0] == 401
    status, body = _get(port, "/customers/acme/", acme)
    assert status == 200
    assert "ACME Meccanica S.p.A." in body and "Beta Studio" not in body
    assert _get(port, "/customers/acme/search/search_index.json", acme)[0] == 200

    assert _get(port, "/customers/acme/", ("mrossi", "wrong password"))[0] == 401
    assert _get(port, "/customers/acme/", ("bruno", "beta password 2"))[0] == 401
    assert _get(port, "/customers/beta/", acme)[0] in (401, 403)
    status, body = _get(port, "/customers/beta/", ("bruno", "beta password 2"))
    assert status == 200 and "Beta Studio" in body and "ACME Meccanica" not in body

    for hidden in ("/.auth/acme.htpasswd", "/.gitdesk-build/acme.digest", "/webserver/Caddyfile",
                   "/webserver/nginx.conf", "/customers/acme/../../.auth/acme.htpasswd"):
        assert _get(port, hidden, acme)[0] in (403, 404), hidden
    status, body = _get(port, "/customers/", acme)  # no list of customers: back to the entry form
    assert status == 302 and "acme" not in body and "beta" not in body

    status, _ = _get(port, "/")
    assert status == 302


def _headers(port: int, path: str, auth: tuple[str, str]) -> dict[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()})
        response = conn.getresponse()
        response.read()
        return {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def test_nginx_serves_the_staff_site_to_staff_logins_only(nginx_portal, repo, tmp_path):
    port, out = nginx_portal, tmp_path / "out"  # the fixture's repository and output folder
    acme = ("mrossi", "acme password 1")

    status, body = _get(port, "/staff/", STAFF)
    assert status == 200 and "ACME Meccanica S.p.A." in body and "Beta Studio" in body  # every customer, for the staff
    assert _get(port, "/staff/statements.html", STAFF)[0] == 200
    assert _headers(port, "/staff/", STAFF)["x-robots-tag"] == "noindex, nofollow"
    assert _get(port, "/staff/")[0] == 401  # no login
    assert _get(port, "/staff/", acme)[0] == 401  # a customer's login never opens it
    assert _get(port, "/staff/", (STAFF[0], "wrong password"))[0] == 401
    assert _get(port, "/customers/acme/", STAFF)[0] == 401  # nor does a staff login open a customer's site
    assert _get(port, "/staff")[0] == 301
    for hidden in ("/.auth/_staff.htpasswd", "/.gitdesk-build/_staff.digest", "/staff/../.auth/_staff.htpasswd"):
        assert _get(port, hidden, STAFF)[0] in (403, 404), hidden

    # The last staff login removed: the next build empties the password file, and nginx (which reads it on
    # each request) lets nobody in any more.
    assert passwd(repo, "--staff", STAFF[0], "--remove").exit_code == 0
    result = CliRunner().invoke(cli, ["--repo", str(repo.root), "build", "--out", str(out), "--now", NOW],
                                env={"GITDESK_NO_CACHE": "1", "GITDESK_PORTAL_LISTEN": f"127.0.0.1:{port}"})
    assert result.exit_code == 0, result.output
    assert (out / ".auth" / webserver.STAFF).read_text() == ""
    assert _get(port, "/staff/", STAFF)[0] == 401
    assert _get(port, "/customers/acme/", acme)[0] == 200


def _answer(port: int, path: str, auth: tuple[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """GET from the nginx on 127.0.0.1: status, headers (lower-case names) and body."""
    headers = {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()} if auth else {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def test_nginx_the_entry_form_leads_to_a_customers_site_without_telling_which_exist(nginx_portal):
    port = nginx_portal
    acme = ("mrossi", "acme password 1")
    status, body = _get(port, "/public/")
    assert status == 200 and 'action="../customers/"' in body and 'id="area-clienti"' in body

    # listed customers and codes of no customer alike ("nessuno" never existed)
    for code in ("acme", "beta", "nessuno", "a", "x" * 64, "0-9-z"):
        status, headers, _ = _answer(port, f"/customers/?c={code}")
        assert (status, headers["location"]) == (302, f"/customers/{code}/"), code
        assert _get(port, f"/customers/{code}/")[0] == 401, code  # the same answer whether the customer exists
    assert _answer(port, "/customers/?x=1&c=acme")[1]["location"] == "/customers/acme/"
    status, _ = _get(port, "/customers/acme/", acme)  # where the redirect leads, with the login
    assert status == 200

    # anything but a customer code goes back to the form on the public home
    for query in ("", "?c=", "?c=../x", "?c=..%2Fx", "?c=ACME", "?c=-acme", "?c=acme/", "?c=acme%0d%0aSet-Cookie:%20x=1",
                  "?c=" + "x" * 65, "?c=%2e%2e", "?code=acme", "?c=acme%20", "?c=http://example.com"):
        status, headers, _ = _answer(port, f"/customers/{query}")
        assert (status, headers["location"]) == (302, "/public/#area-clienti"), query
        assert "set-cookie" not in headers


def test_nginx_a_missing_page_answers_its_own_sites_404_page_after_its_login(nginx_portal):
    port = nginx_portal
    acme, beta = ("mrossi", "acme password 1"), ("bruno", "beta password 2")

    status, body = _get(port, "/public/nessuna-pagina.html")
    assert status == 404 and "<h1>Pagina non trovata</h1>" in body
    assert "La pagina richiesta non esiste o è stata spostata." in body

    status, body = _get(port, "/customers/acme/nessuna-pagina.html", acme)
    assert status == 404 and "<h1>Pagina non trovata</h1>" in body
    assert '"base": "/customers/acme/"' in body and "/customers/beta/" not in body  # acme's own 404 page
    status, body = _get(port, "/customers/beta/manca/del/tutto/", beta)
    assert status == 404 and '"base": "/customers/beta/"' in body

    # without the customer's login a missing page answers 401, like any page: no 404 page, no hint
    for path, auth in (("/customers/acme/nessuna-pagina.html", None), ("/customers/acme/nessuna-pagina.html", beta),
                       ("/customers/beta/nessuna-pagina.html", acme), ("/customers/nessuno/nessuna-pagina.html", acme),
                       ("/customers/acme/404.html", None), ("/customers/acme/404.html", beta)):
        status, body = _get(port, path, auth)
        assert status == 401 and "Pagina non trovata" not in body, (path, auth)

    status, body = _get(port, "/staff/nessuna-pagina.html", STAFF)
    assert status == 404 and '"base": "/staff/"' in body and "<h1>Pagina non trovata</h1>" in body
    assert _get(port, "/staff/nessuna-pagina.html")[0] == 401
    assert _get(port, "/staff/nessuna-pagina.html", acme)[0] == 401
