#!/usr/bin/env python3
"""The web panel in a real browser: headless Chromium driven through chromedriver (Selenium) against a
DirectPipe host this script starts on the internal clock (and restarts, to see the page come back).

Every check acts in the page and asserts what the host's API then says, or changes the host through the
API and asserts what the page then shows. Prints one JSON line: {"checks": [...], "failures": [...]}.
Screenshots at desktop, dock and 200 % zoom sizes go to --artifacts.

  panel_check.py --directpipe BIN --home DIR --artifacts DIR
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

arguments = argparse.ArgumentParser()
arguments.add_argument("--directpipe", required=True)
arguments.add_argument("--home", required=True)
arguments.add_argument("--artifacts", required=True)
options = arguments.parse_args()

config = os.path.join(options.home, "config")
folder = os.path.join(config, "directpipe")
os.makedirs(options.home, exist_ok=True)
results = {"checks": [], "failures": []}


def check(name, condition, detail=""):
    results["checks"].append(name)
    if not condition:
        results["failures"].append(f"{name}: {detail}")


def wait_for(condition, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.05)
    return None


with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
base = f"http://127.0.0.1:{port}"


def start_host():
    environment = dict(os.environ, XDG_CONFIG_HOME=config, HOME=options.home)
    host = subprocess.Popen(
        [options.directpipe, "run", "--api-port", str(port), "--pipe", f"panel-{os.getpid()}", "--seconds", "600", "--quiet"],
        env=environment, stdout=subprocess.DEVNULL, stderr=open(os.path.join(options.home, "host.err"), "a"))
    if not wait_for(lambda: api_get("/api/v1/state"), 20):
        raise SystemExit(json.dumps({"checks": [], "failures": ["the host did not start: " + open(os.path.join(options.home, "host.err")).read()]}))
    return host


def api_get(path):
    with urllib.request.urlopen(base + path, timeout=5) as response:
        return json.loads(response.read())


def api_post(action):
    token = open(os.path.join(folder, "api-token")).read().strip()
    request = urllib.request.Request(base + "/api/v1/actions", data=json.dumps(action).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def state():
    return api_get("/api/v1/state")


host = start_host()
token = open(os.path.join(folder, "api-token")).read().strip()

chrome = webdriver.ChromeOptions()
chrome.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
    chrome.add_argument(flag)
chrome.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=chrome)
find = driver.find_element


def page(selector):
    return find(By.CSS_SELECTOR, selector)


def meter_db(canvas_id):
    value = page(f"#{canvas_id}").get_attribute("data-peak-db")
    return -999.0 if value in (None, "-inf") else float(value)


def click(selector):
    """Clicks as a person does: the element brought to the middle of the window first (the sticky bar covers the top)."""
    element = page(selector)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def set_number(selector, value):
    """Types over a number field's value, as a person does (select all, type, leave: one change event)."""
    field = page(selector)
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(str(value))
    field.send_keys(Keys.TAB)


try:
    # Without the token: the page says where the address with the token comes from.
    driver.get(f"{base}/")
    check("without the token the page says where to get it",
          wait_for(lambda: "directpipe obs dock" in page("#overlay-text").text and page("#overlay").is_displayed(), 5),
          page("#overlay-text").text)
    driver.get(f"{base}/#token={token}")
    check("the page connects", wait_for(lambda: page("body").get_attribute("data-connected") == "true", 10))
    check("the token leaves the address bar", "token" not in driver.current_url, driver.current_url)
    check("no overlay while connected", not page("#overlay").is_displayed())

    # Meters move while the clock's −6 dBFS tone flows; the output's rests when the input is muted (through the
    # API), while the input's still shows what the microphone hears.
    check("the meters show the tone", wait_for(lambda: abs(meter_db("output-meter") + 6) < 1 and abs(meter_db("input-meter") + 6) < 1, 5),
          (meter_db("input-meter"), meter_db("output-meter")))
    # The loudness card: the tone's loudness shows; the guard's switch and ceiling act and follow the API; a +6 dBFS
    # tone is held at the ceiling and the highest true peak says so, until the reset button forgets it.
    def true_peak():
        value = page("#true-peak").get_attribute("data-db")
        return -999.0 if value in (None, "-inf") else float(value)
    check("the output's loudness shows", wait_for(lambda: page("#lufs-short").text.replace(".", "").lstrip("-").isdigit(), 10),
          page("#lufs-short").text)
    set_number("#guard-ceiling", -3)
    check("the guard's ceiling field sets the ceiling", wait_for(lambda: state()["guard"]["ceiling_db"] == -3), state()["guard"])
    page("#guard-on").click()
    check("the guard's switch turns it off", wait_for(lambda: state()["guard"]["on"] is False), state()["guard"])
    api_post({"action": "set_guard", "on": True})
    check("the page follows the guard", wait_for(lambda: page("#guard-on").is_selected()))
    api_post({"action": "set_input_gain", "decibels": 12})
    check("the guard holds a +6 dBFS tone at its ceiling, and says so",
          wait_for(lambda: "guard" in page("#guard-reduction").text and abs(true_peak() + 3) < 0.6, 5),
          (page("#guard-reduction").text, true_peak()))
    api_post({"action": "set_input_gain", "decibels": 0})
    time.sleep(0.3)
    page("#reset-loudness").click()
    check("reset forgets the peak", wait_for(lambda: abs(true_peak() + 6) < 0.6, 5), true_peak())

    api_post({"action": "mute_input", "on": True})
    check("the output meter rests at silence", wait_for(lambda: meter_db("output-meter") < -90 and abs(meter_db("input-meter") + 6) < 1, 5),
          (meter_db("input-meter"), meter_db("output-meter")))
    check("the page shows the input muted (a change from the API)",
          wait_for(lambda: page("#input-mute").get_attribute("aria-pressed") == "true"))
    page("#input-mute").click()
    check("the mute button unmutes the engine", wait_for(lambda: state()["input"]["muted"] is False))

    page("#panic").click()
    check("panic mutes every output", wait_for(lambda: state()["panic"] and all(o["muted"] for o in state()["outputs"].values())))
    page("#panic").click()
    check("panic off restores them", wait_for(lambda: not state()["panic"] and not state()["outputs"]["pipe"]["muted"]))

    set_number("#gain-number", -12)
    check("the gain field sets the input gain", wait_for(lambda: state()["input"]["gain_db"] == -12), state()["input"])
    set_number("#gain-number", 99)
    check("a refused change is shown and changes nothing",
          wait_for(lambda: "outside" in page("#toast").text and state()["input"]["gain_db"] == -12, 5), page("#toast").text)
    api_post({"action": "set_input_gain", "decibels": 0})
    check("an API gain change shows in the page", wait_for(lambda: page("#gain-number").get_attribute("value") == "0"))

    # The chain editor.
    page("#add-effect summary").click()
    page("#plugin-search").send_keys("gain")
    wait_for(lambda: page("#plugin-list button[data-id=gain]").is_displayed())
    page("#plugin-list button[data-id=gain]").click()
    check("an effect added from the list runs", wait_for(lambda: [e["id"] for e in state()["chain"]["effects"]] == ["gain"]))
    wait_for(lambda: page("#effects li[data-id=gain] .param[data-symbol=gain] input[type=number]"))
    set_number("#effects li[data-id=gain] .param[data-symbol=gain] input[type=number]", -20)
    check("a parameter field sets the parameter", wait_for(lambda: state()["chain"]["effects"][0]["parameters"]["gain"] == -20),
          state()["chain"]["effects"])
    check("and it is heard", wait_for(lambda: abs(meter_db("output-meter") + 26) < 1, 5), meter_db("output-meter"))
    page("#effects li[data-id=gain] button.bypass").click()
    check("bypass", wait_for(lambda: state()["chain"]["effects"][0]["bypass"] is True))
    api_post({"action": "add_effect", "id": "eq", "at": 1, "parameters": {"b3_gain": 9}})
    check("an effect added through the API shows", wait_for(lambda: page("#effects li[data-id=eq]")))
    drawn = wait_for(lambda: driver.execute_script(
        "const c = document.querySelector('#effects li[data-id=eq] canvas.curve');"
        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let lit = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) lit++; return lit;"))
    check("the EQ draws its curve", (drawn or 0) > 100, drawn)
    # A compressor far over its threshold shows its gain reduction (−6 dBFS into −40 dB at 10:1: about −31 dB).
    api_post({"action": "add_effect", "id": "compressor", "parameters": {"threshold": -40, "ratio": 10, "knee": 0}})
    reduction = wait_for(lambda: float(page("#effects li[data-id=compressor] .reduction").get_attribute("data-gr-db")) < -20, 5)
    check("a compressor shows its gain reduction", reduction,
          driver.execute_script("return document.querySelector('#effects li[data-id=compressor] .reduction')?.dataset.grDb"))
    api_post({"action": "remove_effect", "effect": 2})
    wait_for(lambda: [e["id"] for e in state()["chain"]["effects"]] == ["gain", "eq"])
    page("#effects li[data-id=eq] .name").send_keys(Keys.ALT, Keys.ARROW_UP)
    check("Alt+↑ moves an effect up", wait_for(lambda: [e["id"] for e in state()["chain"]["effects"]] == ["eq", "gain"]))
    page("#effects li[data-id=gain] button[aria-label^=Remove]").click()
    check("the remove button removes", wait_for(lambda: [e["id"] for e in state()["chain"]["effects"]] == ["eq"]))
    # A plugin's own editor: Edit opens it on the host's display (the test's Xvfb), a control dragged in it shows here.
    if os.environ.get("DISPLAY"):
        zam = "#effects li[data-id='vst2:ZamComp-vst.so']"
        api_post({"action": "add_effect", "id": "vst2:ZamComp-vst.so"})
        wait_for(lambda: page(f"{zam} button.edit").is_displayed(), 10)
        click(f"{zam} button.edit")
        check("Edit opens the plugin's own editor", wait_for(lambda: state()["chain"]["effects"][1]["editor"] == "open", 10),
              state()["chain"]["effects"])
        check("and shows it open", wait_for(lambda: page(f"{zam} button.edit").get_attribute("aria-pressed") == "true"))
        threshold = f"{zam} .param[data-symbol=threshold] input[type=number]"

        def dragged():  # the threshold knob (its editor opens at the display's corner), dragged down
            subprocess.run(["xdotool", "mousemove", "210", "72", "mousedown", "1"]
                           + [a for step in range(1, 9) for a in ("mousemove", "210", str(72 + 8 * step), "sleep", "0.03")]
                           + ["mouseup", "1"], check=False)
            return wait_for(lambda: float(page(threshold).get_attribute("value") or 1) < 1, 2)
        # Dragged again until the editor, drawing itself still at first, takes it (a state waited for, not a time).
        check("a control dragged in the editor shows in the panel", any(dragged() for _ in range(8)),
              page(threshold).get_attribute("value"))
        click(f"{zam} button.edit")
        check("Edit again closes it", wait_for(lambda: state()["chain"]["effects"][1]["editor"] == "closed", 10))
        api_post({"action": "remove_effect", "effect": 1})
        wait_for(lambda: [e["id"] for e in state()["chain"]["effects"]] == ["eq"])
    else:
        failures.append("no DISPLAY: the plugin editor checks need the Xvfb WebPanelTests starts")
    page("#master-bypass").click()
    check("master bypass", wait_for(lambda: state()["chain"]["bypass"] is True))
    page("#master-bypass").click()
    wait_for(lambda: state()["chain"]["bypass"] is False)

    # Outputs.
    page("[data-output=mic] button.mute").click()
    check("an output's mute", wait_for(lambda: state()["outputs"]["mic"]["muted"] is True))
    driver.execute_script("const s = document.querySelector('[data-output=monitor] input[type=range]'); s.value = 0.5;"
                          "s.dispatchEvent(new Event('input'));")
    check("an output's volume", wait_for(lambda: abs(state()["outputs"]["monitor"]["volume"] - 0.5) < 0.01), state()["outputs"])
    Select(page("#monitor-device")).select_by_value("null")  # ALSA's null device: there on every machine
    check("the monitor device list restarts the audio with monitoring there",
          wait_for(lambda: state()["audio"].get("monitor") == "null" and state()["outputs"]["monitor"]["enabled"], 10),
          state().get("audio"))
    Select(page("#monitor-device")).select_by_value("")
    check("and turns it off", wait_for(lambda: "monitor" not in state()["audio"] and not state()["outputs"]["monitor"]["enabled"], 10),
          state().get("audio"))
    check("the pipe's readers are shown", wait_for(lambda: "reader" in page("[data-output=pipe] .detail").text))

    # Presets and slots.
    page("#preset-name").send_keys("talk")
    page("#preset-save button[type=submit]").click()
    check("save preset", wait_for(lambda: "talk" in state()["presets"]))
    wait_for(lambda: page("#preset-list button[aria-label='Rename talk']"))
    page("#preset-list button[aria-label='Rename talk']").click()
    prompt = wait_for(lambda: driver.switch_to.alert)
    prompt.send_keys("talk2")
    prompt.accept()
    check("rename preset", wait_for(lambda: state()["presets"] == ["talk2"]), state()["presets"])
    href = wait_for(lambda: page("#preset-list a[aria-label='Export talk2']").get_attribute("href"))
    with urllib.request.urlopen(href, timeout=5) as response:
        exported = json.loads(response.read())
    check("export gives the preset file", exported.get("name") == "talk2" and exported["chain"]["effects"][0]["id"] == "eq", exported)
    page("#slots button[data-slot=A]").click()
    check("an empty slot saves the chain and becomes current", wait_for(lambda: state()["slot"] == "A" and "A" in state()["slots"]))
    page("#voice").click()
    check("one-click voice puts the voice chain (DeepFilterNet, auto-gain) in the current slot",
          wait_for(lambda: state()["slot"] == "A" and {"deepfilter", "autogain"} <= {e["id"] for e in state()["chain"]["effects"]}, 10),
          [e["id"] for e in state()["chain"]["effects"]])
    check("the noise remover shows its voice probability",
          wait_for(lambda: page("#effects li[data-id=deepfilter] .voice").get_attribute("data-voice").isdigit(), 5))

    # Latency, and the audio setup.
    page("#measure-latency").click()
    check("measure latency", wait_for(lambda: state()["latency"] is not None, 5))
    check("the page shows the measurement", wait_for(lambda: "OBS pipe" in page("#latency").text), page("#latency").text)
    click("#audio-setup summary")
    Select(page("#period")).select_by_value("256")
    page("#audio-apply").click()
    check("the audio form restarts the engine with another period", wait_for(lambda: state()["format"]["period_frames"] == 256, 10),
          state()["format"])

    check("the guard's field shows the ceiling the host has", wait_for(
        lambda: float(page("#guard-ceiling").get_attribute("value") or "nan") == state()["guard"]["ceiling_db"] == -3),
        (page("#guard-ceiling").get_attribute("value"), state()["guard"]))
    page("#guard-true-peak").click()
    check("the guard's true-peak switch restarts the engine in that mode, 1 ms later", wait_for(
        lambda: state()["guard"]["true_peak"] is True and state()["guard"]["latency_frames"] == state()["format"]["sample_rate"] // 1000, 10),
        (state()["guard"], state()["format"]))
    api_post({"action": "set_guard", "true_peak": False})
    check("the page follows the guard's mode", wait_for(lambda: not page("#guard-true-peak").is_selected() and state()["guard"]["latency_frames"] == 0, 10))

    # Every control has a name a screen reader says.
    unnamed = driver.execute_script("""
        const named = (e) => e.getAttribute('aria-label') || (e.getAttribute('aria-labelledby') &&
            document.getElementById(e.getAttribute('aria-labelledby'))?.textContent.trim()) ||
            (e.id && document.querySelector(`label[for="${e.id}"]`)?.textContent.trim()) || e.closest('label')?.textContent.trim() ||
            ((e.tagName === 'BUTTON' || e.tagName === 'A' || e.tagName === 'SUMMARY') && e.textContent.trim());
        return [...document.querySelectorAll('input, select, button, a, canvas, summary')]
            .filter((e) => !named(e)).map((e) => e.outerHTML.slice(0, 80));""")
    check("every control is labelled", not unnamed, unnamed)

    # Sizes: desktop, an OBS dock (300 px wide), and 200 % zoom (a 1280 px window, half the CSS pixels).
    os.makedirs(options.artifacts, exist_ok=True)
    for name, width, height, scale in [("desktop", 1280, 1000, 1), ("dock", 300, 900, 1), ("zoom-200", 640, 900, 2)]:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": False})
        time.sleep(0.5)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        check(f"no sideways scrolling at {name} size", overflow <= 1, overflow)
        driver.save_screenshot(os.path.join(options.artifacts, f"panel-{name}.png"))
        if name == "dock":
            tops = driver.execute_script(
                "return ['loudness', 'input', 'presets', 'chain', 'outputs'].map((id) => document.getElementById(id).getBoundingClientRect().top)")
            check("a dock shows loudness, input, slots, effects, outputs, in that order", tops == sorted(tops), tops)
            first = "#effects li:first-child"
            check("a dock shows each effect on one line, its controls hidden",
                  not page(f"{first} .params").is_displayed() and page(f"{first} .bypass").is_displayed())
            page(f"{first} button.expand").click()
            check("and opens one on a click", wait_for(lambda: page(f"{first} .params").is_displayed())
                  and page(f"{first} button.expand").get_attribute("aria-expanded") == "true")
            driver.save_screenshot(os.path.join(options.artifacts, "panel-dock-open.png"))
            page(f"{first} button.expand").click()
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
              and "api/v1/ws?token=' failed" not in entry["message"]]
    check("no console errors (but the WebSocket refused without the token)", not errors, errors)

    # The host goes away and comes back: the overlay, then the page reconnects and shows its state.
    host.send_signal(signal.SIGTERM)
    host.wait(20)
    check("connection lost shows the overlay", wait_for(lambda: page("#overlay").is_displayed(), 5))
    host = start_host()
    check("the page reconnects by itself", wait_for(lambda: not page("#overlay").is_displayed(), 15))
    check("and shows the restarted host's state", wait_for(lambda: page("#effects li[data-id=eq]") and
                                                           "256" in page("#summary").text, 5), page("#summary").text)
    api_post({"action": "mute_output", "output": "pipe", "on": True})
    check("changes after the restart show", wait_for(lambda: page("[data-output=pipe] button.mute").get_attribute("aria-pressed") == "true"))
    late = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
            and "WebSocket" not in entry["message"] and "ERR_CONNECTION_REFUSED" not in entry["message"]]
    check("no console errors across the restart (but the refused reconnects)", not late, late)
except Exception as error:  # a broken page: say what, with the checks so far
    results["failures"].append(f"{type(error).__name__}: {error}")
    try:
        driver.save_screenshot(os.path.join(options.artifacts, "panel-failure.png"))
    except Exception:
        pass
finally:
    driver.quit()
    host.send_signal(signal.SIGTERM)
    host.wait(20)
    try:  # a stopped writer leaves its pipe for readers (PROTOCOL.md, writer rule 5); this one was the test's own
        os.remove(f"/dev/shm/DirectPipeAudio-panel-{os.getpid()}")
    except FileNotFoundError:
        pass
print(json.dumps(results))
