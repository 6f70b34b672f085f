#!/usr/bin/python3
"""obs-websocket-probe: drives a running OBS Studio through obs-websocket (protocol 5) for DirectPipe's tests.

Connects to ws://127.0.0.1:PORT (retrying while OBS starts), checks that OBS offers the "directpipe_audio" input
kind, creates a "DirectPipe Audio" input on PIPE in the current program scene, then prints one JSON line per
InputVolumeMeters event (every 50 ms) with that input's loudest channel, on CLOCK_MONOTONIC, for SECONDS:

    {"event": "kinds", "kinds": [...]}
    {"event": "created", "scene": "Scene", "settings": {...}}
    {"event": "meter", "peak": 0.49, "channels": 2, "time_ns": 123}
    {"event": "final", "meters": 180}

Any failure is one {"event": "error", "message": ...} line and exit status 1.
Uses websocket-client (Debian's python3-websocket).
"""
import argparse
import json
import sys
import time

import websocket

INPUT_NAME = "DirectPipe Audio"
INPUT_VOLUME_METERS = 1 << 16  # obs-websocket's EventSubscription::InputVolumeMeters


def emit(**fields):
    print(json.dumps(fields), flush=True)


def connect(port, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return websocket.create_connection(f"ws://127.0.0.1:{port}", timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


class Session:
    def __init__(self, socket):
        self.socket = socket
        self.next_id = 0
        self.events = []

    def identify(self, subscriptions):
        hello = json.loads(self.socket.recv())
        if hello.get("op") != 0:
            raise RuntimeError(f"expected Hello, got {hello}")
        if "authentication" in hello["d"]:
            raise RuntimeError("the server asks for a password; the test's OBS config turns authentication off")
        self.socket.send(json.dumps({"op": 1, "d": {"rpcVersion": 1, "eventSubscriptions": subscriptions}}))
        identified = json.loads(self.socket.recv())
        if identified.get("op") != 2:
            raise RuntimeError(f"expected Identified, got {identified}")

    def request(self, request_type, data=None):
        self.next_id += 1
        request_id = str(self.next_id)
        body = {"requestType": request_type, "requestId": request_id}
        if data is not None:
            body["requestData"] = data
        self.socket.send(json.dumps({"op": 6, "d": body}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("op") == 7 and message["d"].get("requestId") == request_id:
                status = message["d"]["requestStatus"]
                if not status["result"]:
                    raise RuntimeError(f"{request_type}: {status.get('code')} {status.get('comment', '')}")
                return message["d"].get("responseData", {})
            if message.get("op") == 5:
                self.events.append(message["d"])

    def next_event(self):
        if self.events:
            return self.events.pop(0)
        while True:
            message = json.loads(self.socket.recv())
            if message.get("op") == 5:
                return message["d"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pipe", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connect-timeout", type=float, default=60)
    arguments = parser.parse_args()
    try:
        session = Session(connect(arguments.port, arguments.connect_timeout))
        session.identify(INPUT_VOLUME_METERS)
        kinds = session.request("GetInputKindList")["inputKinds"]
        emit(event="kinds", kinds=kinds)
        scene = session.request("GetCurrentProgramScene")["currentProgramSceneName"]
        session.request("CreateInput", {
            "sceneName": scene, "inputName": INPUT_NAME, "inputKind": "directpipe_audio",
            "inputSettings": {"pipe": arguments.pipe}, "sceneItemEnabled": True,
        })
        settings = session.request("GetInputSettings", {"inputName": INPUT_NAME})["inputSettings"]
        emit(event="created", scene=scene, settings=settings)
        end = time.monotonic() + arguments.seconds
        meters = 0
        while time.monotonic() < end:
            event = session.next_event()
            if event.get("eventType") != "InputVolumeMeters":
                continue
            for meter in event["eventData"]["inputs"]:
                if meter["inputName"] != INPUT_NAME:
                    continue
                levels = meter["inputLevelsMul"]  # per channel: [magnitude, peak, input peak]
                peak = max((channel[1] for channel in levels), default=0.0)
                meters += 1
                emit(event="meter", peak=peak, channels=len(levels), time_ns=time.monotonic_ns())
        session.request("RemoveInput", {"inputName": INPUT_NAME})
        session.socket.close()
        emit(event="final", meters=meters)
    except Exception as error:  # one line for the test to show, whatever went wrong
        emit(event="error", message=f"{type(error).__name__}: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
