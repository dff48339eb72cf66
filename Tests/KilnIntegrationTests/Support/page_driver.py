#!/usr/bin/env python3
"""Drives Kiln's operator page in headless Chromium as an operator would, for PageTests.

Chromium is Debian's (/usr/bin/chromium, no browser download), driven through Playwright (pip
`playwright`, tools/setup.sh --tests installs both). Every check reads what the page shows (the
DOM, computed styles), and what the page did is checked against the API with an HTTP client of
its own (urllib).

    page_driver.py --url http://127.0.0.1:PORT --token T --live DEV/TAG --bad DEV/TAG
                   --alarm ALARM_ID --trend DEV/TAG --screenshot PATH

Prints one JSON line per step that held; on the first that did not, prints `FAIL step: why` on
standard error and exits 1 (2: the driver itself cannot run, e.g. Playwright or Chromium missing).
"""

import argparse
import json
import os
import sys
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"


class StepFailed(Exception):
    pass


def step(name, **facts):
    print(json.dumps({"step": name, **facts}), flush=True)


def api(base, token, path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read().decode())


def row(key):
    """A CSS selector for a tag's row (the key is a device/tag path: quoted for CSS)."""
    return 'tr[data-key="%s"]' % key.replace("\\", "\\\\").replace('"', '\\"')


def main():
    parser = argparse.ArgumentParser()
    for name in ("url", "token", "live", "bad", "alarm", "trend", "screenshot"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for each wait")
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("FAIL setup: python3 cannot import playwright: run tools/setup.sh --tests", file=sys.stderr)
        return 2
    if not os.access(CHROMIUM, os.X_OK):
        print(f"FAIL setup: {CHROMIUM} is missing: run tools/setup.sh --tests (Debian chromium)", file=sys.stderr)
        return 2

    base = args.url.rstrip("/")
    wait_ms = int(args.timeout * 1000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(wait_ms)
        errors = []
        foreign = []
        page.on("pageerror", lambda e: errors.append("page error: " + str(e)))
        page.on(
            "console",
            lambda m: errors.append("console: " + m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None,
        )
        page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(base + "/") else None)

        def wait(what, script, arg=None):
            try:
                return page.wait_for_function(script, arg=arg, timeout=wait_ms).json_value()
            except Exception as e:  # Playwright's TimeoutError and friends
                raise StepFailed(f"timed out waiting for {what}: {str(e).splitlines()[0]}")

        try:
            # 1. The page asks for the token; a wrong one is refused and the prompt stays.
            page.goto(base + "/")
            page.locator("#token").wait_for(state="visible")
            page.fill("#token", "wrong-token-" + "x" * 20)
            page.click("#login-form button[type=submit]")
            refused = wait(
                "the prompt to say the token was refused",
                "() => { const e = document.getElementById('login-error').textContent;"
                " return /refused/.test(e) && !document.getElementById('login').hidden ? e : false }",
            )
            step("wrong token refused", message=refused)
            page.fill("#token", args.token)
            page.click("#login-form button[type=submit]")
            page.locator("#login").wait_for(state="hidden")
            stored = page.evaluate("() => sessionStorage.getItem('kiln.token')")
            if stored != args.token:
                raise StepFailed(f"the token is not kept in sessionStorage (found {stored!r})")
            step("signed in", kept_in="sessionStorage")

            # 2. A live value changes between two reads, in the same cell (updated in place).
            first = wait(
                f"a value for {args.live}",
                "(sel) => { const r = document.querySelector(sel); if (!r) return false;"
                " const v = r.querySelector('td.v').textContent;"
                " if (v === '' || v === '—') return false; window.__liveRow = r; return v }",
                row(args.live),
            )
            second = wait(
                f"{args.live}'s value to change",
                "([sel, before]) => { const r = document.querySelector(sel);"
                " if (r !== window.__liveRow) return 'ROW REPLACED';"
                " const v = r.querySelector('td.v').textContent; return v !== before ? v : false }",
                [row(args.live), first],
            )
            if second == "ROW REPLACED":
                raise StepFailed(f"{args.live}'s row was rebuilt instead of updated in place")
            step("live value changed", tag=args.live, first=first, second=second)

            # 3. A Bad tag is marked bad: the row's class, the text marker, the value struck.
            bad = wait(
                f"{args.bad} marked bad",
                "(sel) => { const r = document.querySelector(sel);"
                " if (!r || !r.classList.contains('q-bad')) return false;"
                " const v = r.querySelector('td.v');"
                " return { mark: r.querySelector('.mark').textContent, status: r.querySelector('.sn').textContent,"
                " reason: r.querySelector('.why').textContent, value: v.textContent,"
                " decoration: getComputedStyle(v).textDecorationLine,"
                " background: getComputedStyle(r).backgroundImage } }",
                row(args.bad),
            )
            if "BAD" not in bad["mark"]:
                raise StepFailed(f"{args.bad}: no BAD text marker: {bad}")
            if "line-through" not in bad["decoration"]:
                raise StepFailed(f"{args.bad}: the value is not struck through: {bad}")
            if "gradient" not in bad["background"]:
                raise StepFailed(f"{args.bad}: the row is not hatched: {bad}")
            step("bad tag marked bad", tag=args.bad, **bad)

            # 4. The gateway's health is shown.
            health = wait(
                "the health badges",
                "() => { const p = document.getElementById('h-pollers').textContent;"
                " return /running|STALLED/.test(p) ? [...document.querySelectorAll('#health .badge')]"
                ".map(b => b.textContent) : false }",
            )
            step("health shown", badges=health)

            # 5. Acknowledge an active alarm by clicking; the API then reports it acknowledged.
            alarm_row = 'tr[data-id="%s"]' % args.alarm.replace('"', '\\"')
            ack = page.locator(alarm_row + ' button[data-act="ack"]')
            ack.wait_for(state="visible")
            ack.click()
            deadline = time.monotonic() + args.timeout
            while True:
                alarms = api(base, args.token, "/api/v1/alarms")["alarms"]
                found = next((a for a in alarms if a.get("id") == args.alarm), None)
                if found is None:
                    raise StepFailed(f"the API does not list {args.alarm}: {alarms}")
                if found.get("acked") is True:
                    break
                if time.monotonic() > deadline:
                    raise StepFailed(f"the API never reported {args.alarm} acknowledged: {found}")
                time.sleep(0.2)
            state = wait(
                "the page to show the alarm acknowledged",
                "(sel) => { const r = document.querySelector(sel); if (!r) return false;"
                " const s = r.querySelector('td.state').textContent;"
                " return /acknowledged/.test(s) && !/UNACKNOWLEDGED/.test(s) ? s : false }",
                alarm_row,
            )
            step("alarm acknowledged", alarm=args.alarm, api_acked=True, page_state=state)

            # 5b. Shelve it from its row: for how long and why, in the dialog; the API agrees.
            page.locator(alarm_row + ' button[data-act="shelve"]').click()
            page.locator("#shelve-dialog").wait_for(state="visible")
            page.select_option("#shelve-for", "15m")
            page.fill("#shelve-reason", "sensor <b>maintenance</b>")
            page.click("#shelve-ok")
            deadline = time.monotonic() + args.timeout
            while True:
                found = next(a for a in api(base, args.token, "/api/v1/alarms")["alarms"] if a.get("id") == args.alarm)
                if found.get("shelved") is True:
                    break
                if time.monotonic() > deadline:
                    raise StepFailed(f"the API never reported {args.alarm} shelved: {found}")
                time.sleep(0.2)
            shelved = wait(
                "the page to show the alarm shelved",
                "(sel) => { const r = document.querySelector(sel); if (!r) return false;"
                " const s = r.querySelector('td.state').textContent;"
                " const unshelve = r.querySelector('button[data-act=\"unshelve\"]');"
                " return /shelved until/.test(s) && !unshelve.hidden ? s : false }",
                alarm_row,
            )
            step("alarm shelved", alarm=args.alarm, shelved_until=found.get("shelved_until"), page_state=shelved)

            # 6. A click on a tag opens its trend: an SVG path drawn from the history endpoint.
            page.locator(row(args.trend) + " button.tn").click()
            page.locator("#trend").wait_for(state="visible")
            page.click('#trend-ranges button[data-range="15m"]')
            chart = wait(
                "a trend line",
                "() => { const path = document.querySelector('#trend-chart path.line');"
                " const d = path && path.getAttribute('d');"
                " return d && d.includes('L') ? { d: d.slice(0, 80), runs: d.split('M').length - 1,"
                " grid: document.querySelectorAll('#trend-chart line.grid').length,"
                " labels: document.querySelectorAll('#trend-chart text').length,"
                " note: document.getElementById('trend-note').textContent } : false }",
            )
            if chart["grid"] < 2 or chart["labels"] < 2:
                raise StepFailed(f"the trend has no axis: {chart}")
            step("trend drawn", tag=args.trend, **chart)

            # 7. The chart's code breaks the line at bad and null points and shades bad stretches.
            drawn = page.evaluate(
                """() => {
                  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
                  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
                  const at = (i) => new Date(t0 + i * 5000).toISOString();
                  const q = ['good', 'good', 'bad', 'good', 'good', 'uncertain', 'good', 'good'];
                  const points = q.map((quality, i) => ({ t: at(i), value: quality === 'bad' ? null : 10 + i, quality }));
                  points.push({ t: at(8), value: 99, quality: 'bad' });
                  points.push({ t: at(9), value: 20, quality: 'good' });
                  const r = window.KilnPage.drawChart(svg, points, t0, t0 + 10 * 5000, 'degC', 5000);
                  const d = svg.querySelector('path.line').getAttribute('d');
                  const u = svg.querySelector('path.uncertain');
                  return { runs: d.split('M').length - 1, uncertainRuns: u ? u.getAttribute('d').split('M').length - 1 : 0,
                           shaded: svg.querySelectorAll('rect.bad').length, bad: r.badStretches,
                           ys: [...svg.querySelectorAll('text')].map(t => t.textContent) };
                }"""
            )
            # good runs: [0,1] [3,4] [6,7] [9]; uncertain: [5]; bad stretches: point 2, point 8.
            if drawn["runs"] != 4 or drawn["uncertainRuns"] != 1 or drawn["shaded"] != 2:
                raise StepFailed(f"the chart does not break the line at bad/uncertain points: {drawn}")
            if "99" in " ".join(drawn["ys"]) or "100" in drawn["ys"]:
                raise StepFailed(f"a bad point's value set the chart's scale: {drawn}")
            step("chart breaks the line", **drawn)

            # 8. Markup in API text stays text.
            injected = page.evaluate("() => document.querySelectorAll('#devices img, #alarm-rows img, #run-rows img').length")
            if injected:
                raise StepFailed("markup from the API was inserted as HTML")

            os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
            page.screenshot(path=args.screenshot, full_page=True)
            step("screenshot", path=os.path.abspath(args.screenshot))

            # 9. A 401 in the middle of a session brings the prompt back.
            page.evaluate("() => sessionStorage.setItem('kiln.token', 'revoked-token-' + 'y'.repeat(20))")
            page.reload()
            prompt = wait(
                "the token prompt after a 401",
                "() => !document.getElementById('login').hidden"
                " && /refused/.test(document.getElementById('login-error').textContent)"
                " && sessionStorage.getItem('kiln.token') === null",
            )
            step("401 brings the prompt back", prompt=prompt)

            if errors:
                raise StepFailed("the page logged errors: " + "; ".join(errors))
            if foreign:
                raise StepFailed("the page fetched from elsewhere: " + ", ".join(sorted(set(foreign))))
        except StepFailed as failure:
            try:
                page.screenshot(path=args.screenshot, full_page=True)
                print(f"screenshot of the failure: {os.path.abspath(args.screenshot)}", file=sys.stderr)
            except Exception:
                pass
            print(f"FAIL {failure}", file=sys.stderr)
            browser.close()
            return 1
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
