#!/usr/bin/env python3
"""Holds COUNT WebSocket clients on DirectPipe's API for SECONDS, each reading every message (the telemetry
benchmark's load). Prints the messages received in all. Usage: ws_clients.py URL TOKEN COUNT SECONDS"""
import sys, threading, time
import websocket

url, token, count, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
received = [0] * count

def client(index):
    ws = websocket.create_connection(url + '?token=' + token, timeout=10)
    end = time.time() + seconds
    while time.time() < end:
        ws.recv()
        received[index] += 1
    ws.close()

threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(sum(received))
