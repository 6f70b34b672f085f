#!/usr/bin/env python3
"""The plugin compatibility report: every installed LV2, LADSPA, VST2, VST3 and
CLAP effect (and the DPF test plugin the tests build, as VST3 and CLAP), tried in
DirectPipe's host (`directpipe plugins scan`: instantiate, process noise, check the
output is finite) and, for LV2 and LADSPA, in the reference hosts (lv2apply,
applyplugin: process a noise file, exit status 0, finite output). Debian has no
command-line VST or CLAP host to compare with: those formats report ours alone,
with the reason for each that fails.

Usage: scripts/plugin-report.py [--directpipe PATH] [--details]
"""
import argparse, json, math, os, struct, subprocess, sys, tempfile

def wav(path, channels, frames, pcm16):
    """Noise at -20 dBFS, as 32-bit float (lv2apply) or 16-bit (applyplugin reads only that)."""
    import random
    random.seed(1)
    data = bytearray()
    for _ in range(frames * channels):
        v = random.uniform(-0.1, 0.1)
        data += struct.pack('<h', int(v * 32767)) if pcm16 else struct.pack('<f', v)
    fmt, bits = (1, 16) if pcm16 else (3, 32)
    width = bits // 8
    header = b'RIFF' + struct.pack('<I', 36 + len(data)) + b'WAVEfmt ' + struct.pack(
        '<IHHIIHH', 16, fmt, channels, 48000, 48000 * width * channels, width * channels, bits) + b'data' + struct.pack('<I', len(data))
    open(path, 'wb').write(header + data)

def finite(path):
    try:
        blob = open(path, 'rb').read()
        at = blob.find(b'data')
        fmt = struct.unpack('<H', blob[20:22])[0]
        size = struct.unpack('<I', blob[at + 4:at + 8])[0]
        body = blob[at + 8:at + 8 + size]
        if fmt != 3: return size > 0
        return size > 0 and all(math.isfinite(v) for v in struct.unpack('<%df' % (len(body) // 4), body))
    except Exception:
        return False

def run(arguments, timeout=20):
    try:
        return subprocess.run(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return -1

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--directpipe', default=os.path.join(os.path.dirname(__file__), '..', '.build', 'debug', 'directpipe'))
    parser.add_argument('--details', action='store_true', help='list every plugin that fails somewhere')
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix='dp-report-')
    environment = dict(os.environ, XDG_CACHE_HOME=work)
    dpf = os.path.join(os.path.dirname(__file__), '..', '.build', 'native', 'dpf', 'bin')
    if os.path.isdir(dpf):  # the usual folders, then the test plugin's builds
        home = os.path.expanduser('~')
        for variable, folder in (('VST3_PATH', 'vst3'), ('CLAP_PATH', 'clap')):
            usual = [os.path.join(home, '.' + folder), '/usr/local/lib/' + folder, '/usr/lib/' + folder]
            environment[variable] = ':'.join(environment.get(variable, ':'.join(usual)).split(':') + [os.path.abspath(dpf)])
    scan = subprocess.run([options.directpipe, 'plugins', 'scan', '--json', '--quiet'], stdout=subprocess.PIPE, env=environment, check=True)
    records = json.loads(scan.stdout)
    results = {'lv2': [], 'ladspa': [], 'vst2': [], 'vst3': [], 'clap': []}
    for record in records:
        info = record.get('info')
        if record['status'] == 'not_effect' or record['format'] not in results:
            continue
        ours = record['status'] == 'ok'
        if info is None:  # crashed or hung before it could be described: count it as failing everywhere we know
            results[record['format']].append((record['id'], ours, False, record['reason']))
            continue
        if record['format'] not in ('lv2', 'ladspa'):  # no reference host to try it in
            results[record['format']].append((record['id'], ours, None, record['reason']))
            continue
        channels = max(info['audioInputs'], 1)
        output = os.path.join(work, 'out.wav')
        if os.path.exists(output): os.remove(output)
        if record['format'] == 'lv2':
            source = os.path.join(work, 'in%d.wav' % channels)
            if not os.path.exists(source): wav(source, channels, 24000, pcm16=False)
            code = run(['lv2apply', '-i', source, '-o', output, record['id']])
        else:
            source = os.path.join(work, 'in16-%d.wav' % channels)
            if not os.path.exists(source): wav(source, channels, 24000, pcm16=True)
            library, label = record['id'].rsplit(':', 1)
            controls = ['%g' % p['defaultValue'] for p in info['parameters']]
            code = run(['applyplugin', source, output, os.path.join(os.path.dirname(info['path']), library), label] + controls)
        reference = code == 0 and finite(output)
        results[record['format']].append((record['id'], ours, reference, record['reason']))
    reference_names = {'lv2': 'lv2apply', 'ladspa': 'applyplugin'}
    for format, rows in results.items():
        total = len(rows)
        ours = sum(1 for r in rows if r[1])
        percent = lambda n: 100.0 * n / total if total else 100.0
        line = '%s: %d effect plugins; work in DirectPipe: %d (%.1f %%)' % (format.upper(), total, ours, percent(ours))
        if format in reference_names:
            theirs = sum(1 for r in rows if r[2])
            line += '; in %s: %d (%.1f %%)' % (reference_names[format], theirs, percent(theirs))
        print(line)
        if options.details:
            for plugin, in_ours, in_reference, reason in rows:
                if not in_ours or in_reference is False:
                    reference = '' if in_reference is None else '%s %-4s ' % (reference_names[format], 'ok' if in_reference else 'FAIL')
                    print('  %-60s ours %-4s %s%s' % (plugin, 'ok' if in_ours else 'FAIL', reference, reason))

if __name__ == '__main__':
    main()
