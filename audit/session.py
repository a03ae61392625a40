"""For `make audit`: sign in to a running portal and list the extra start URLs of the scan.

Prints two lines: the Cookie header of a signed-in admin session, then the URLs (space separated) that htmx asks for
(`hx-get` attributes) on the pages reachable from the dashboard: a crawler that does not run JavaScript would not
find those endpoints otherwise. Standard library only.
"""

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

base, username, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def get(path):
    with opener.open(base + path, timeout=30) as response:  # noqa: S310 - our own server, http(s) only
        return response.read().decode("utf-8", "replace")


login_page = get("/login")
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
data = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password}).encode()
with opener.open(base + "/login", data=data, timeout=30) as response:  # noqa: S310
    if "/login" in response.geturl():
        sys.exit("sign-in failed")

seen, queue, htmx = set(), ["/"], set()
while queue and len(seen) < 150:
    path = queue.pop(0)
    if path in seen:
        continue
    seen.add(path)
    try:
        page = get(path)
    except Exception:  # noqa: S112 - a page that fails is the scan's business, not this helper's
        continue
    for url in re.findall(r'hx-get="([^"]+)"', page):
        htmx.add(urllib.parse.urljoin(path, url.replace("&amp;", "&")))
    for url in re.findall(r'href="(/[^"#]*)"', page):
        url = url.replace("&amp;", "&")
        if not url.startswith(("/static/", "/logout")) and url.split("?")[0] not in seen:
            queue.append(url)

print("; ".join(f"{c.name}={c.value}" for c in jar))
print(" ".join(sorted(base + url for url in htmx)))
