#!/usr/bin/env python3
"""A WebSocket client for the API tests (python3-websocket).

ws_probe.py URL TOKEN clients   opens CLIENTS connections at once; each must get the full state first;
                                client 0 sends a panic command and must get its ack; every client counts
                                the telemetry messages of one second. Prints one JSON line of results.
ws_probe.py URL TOKEN refused   connects with that token and prints how the server answered.
"""
import json, sys, threading, time
import websocket

url, token, mode = sys.argv[1], sys.argv[2], sys.argv[3]

if mode == 'refused':
    try:
        websocket.create_connection(url + '?token=' + token, timeout=5)
        print(json.dumps({'refused': False}))
    except websocket.WebSocketBadStatusException as error:
        print(json.dumps({'refused': True, 'status': error.status_code}))
    sys.exit(0)

clients = int(mode)
results = [None] * clients

def client(index):
    result = {'first': None, 'telemetry': 0, 'ack': None, 'error_reply': None}
    try:
        ws = websocket.create_connection(url + '?token=' + token, timeout=10)
        result['first'] = json.loads(ws.recv()).get('type')
        if index == 0:
            ws.send(json.dumps({'id': 7, 'action': {'action': 'panic', 'on': True}}))
            ws.send(json.dumps({'id': 8, 'action': {'action': 'set_input_gain', 'decibels': 99}}))
        end = time.time() + 1.0
        while time.time() < end or (index == 0 and (result['ack'] is None or result['error_reply'] is None)):
            if time.time() > end + 5: break
            message = json.loads(ws.recv())
            if message['type'] == 'telemetry' and time.time() < end: result['telemetry'] += 1
            if message['type'] == 'ack' and message.get('id') == 7: result['ack'] = message['state']['panic']
            if message['type'] == 'error' and message.get('id') == 8: result['error_reply'] = message['error']
        ws.close()
    except Exception as error:
        result['exception'] = repr(error)
    results[index] = result

threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(json.dumps({
    'clients': clients,
    'got_state_first': sum(1 for r in results if r and r['first'] == 'state'),
    'min_telemetry': min(r['telemetry'] for r in results),
    'ack_panic': results[0]['ack'],
    'error_reply': results[0]['error_reply'],
    'exceptions': [r.get('exception') for r in results if r.get('exception')],
}))
