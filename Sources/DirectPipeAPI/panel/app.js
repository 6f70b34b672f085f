// DirectPipe's panel: the state from the host drawn into the page, every control an action, live meters.
// Nothing here is the truth: the page shows what the host says, so changes from `directpipe ctl` or another
// panel appear at once.

import { Connection, get, token } from './api.js';
import { ChainEditor } from './chain.js';
import { Meter } from './meters.js';

const $ = (id) => document.getElementById(id);
const outputs = [['pipe', 'OBS pipe'], ['mic', 'Virtual mic'], ['monitor', 'Monitor']];
const backends = ['auto', 'pipewire', 'jack', 'alsa', 'clock'];
const rates = [44100, 48000, 88200, 96000];
const periods = [32, 64, 128, 256, 512, 1024];
let state = null;
let plugins = [];
let devices = null;

token();  // takes #token=… out of the address at once
const inputMeter = new Meter($('input-meter'));
const outputMeter = new Meter($('output-meter'));
const connection = new Connection({ onState: show, onTelemetry: telemetry, onConnection: connected });
const chain = new ChainEditor($('effects'), perform, (id) => plugins.find((plugin) => plugin.id === id)?.info);

/** Sends an action: resolves with the new state, or with null after showing the refusal for a few seconds
    (the page keeps showing the host's state). Never rejects: most controls fire and forget. */
function perform(action) {
  return connection.perform(action).catch((error) => { toast(error.message); return null; });
}

let toastTimer;
function toast(message) {
  const box = $('toast');
  box.textContent = message;
  box.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove('show'), 5000);
}

function connected(on) {
  document.body.dataset.connected = String(on);
  $('overlay').hidden = on;
  // Without the token the host refuses the WebSocket: say where the address with the token is.
  $('overlay-text').textContent = token()
    ? 'Connection to DirectPipe lost. Reconnecting…'
    : 'Open the panel from the address `directpipe run` printed (it carries the access token), '
      + 'or run `directpipe obs dock` to print it.';
  if (on) { loadPlugins(); loadDevices(); }
}

async function loadPlugins() {
  try { plugins = await get('/api/v1/plugins'); } catch { plugins = []; }
  listPlugins();
  if (state) { chain.signature = ''; chain.show(state.chain, state.format.sample_rate); }
}

async function loadDevices() {
  try { devices = await get('/api/v1/devices'); } catch { devices = null; }
  if (state) showAudio(state);
}

function setOptions(select, values, current) {
  const wanted = values.map(([value, label]) => `${value}\u0000${label}`).join('\u0001');
  if (select.dataset.options !== wanted) {
    select.replaceChildren(...values.map(([value, label]) => Object.assign(document.createElement('option'), { value, textContent: label })));
    select.dataset.options = wanted;
  }
  if (document.activeElement !== select && current !== undefined) select.value = String(current);
}

/** Devices as list entries: the name `run` takes, and what a person reads (with an ALSA device's formats). */
function deviceEntries(list) {
  const range = (low, high) => (low === high ? `${low}` : `${low}–${high}`);
  return (list || []).map((device) => {
    const formats = device.formats ? ` — ${range(device.formats.channels_min, device.formats.channels_max)} ch, `
      + `${range(device.formats.rate_min, device.formats.rate_max)} Hz` : '';
    return [device.name, `${device.description ? `${device.description} (${device.name})` : device.name}${formats}`];
  });
}

/** The devices the chosen backend offers (names as `run --input` takes them); '' is the backend's default. */
function deviceChoices(backend) {
  switch (backend) {
    case 'pipewire': return [['', 'Default source'], ...deviceEntries(devices?.pipewire?.capture)];
    case 'jack': return [['', 'Physical capture ports'], ['none', 'Not connected'], ...deviceEntries(devices?.jack?.capture)];
    case 'alsa': return [['', 'default'], ...deviceEntries(devices?.alsa_capture)];
    case 'clock': return [['', 'Tone 440 Hz'], ['tone:1000', 'Tone 1 kHz'], ['silence', 'Silence']];
    default: return [['', 'Default']];
  }
}

/** Where the chosen backend can send the monitor: '' is off. */
function monitorChoices(backend) {
  const alsa = deviceEntries(devices?.alsa_playback).map(([name, label]) => [backend === 'clock' || backend === 'alsa' ? name : `alsa:${name}`, `ALSA: ${label}`]);
  switch (backend) {
    case 'pipewire': return [['', 'Off'], ['default', 'Default sink'], ...deviceEntries(devices?.pipewire?.playback), ...alsa];
    case 'jack': return [['', 'Off'], ...deviceEntries(devices?.jack?.playback), ...alsa];
    default: return [['', 'Off'], ...alsa];
  }
}

function showMonitorDevice(s) {
  const select = document.getElementById('monitor-device');
  if (!select) return;
  const choices = monitorChoices(s.audio?.backend);
  const current = s.audio?.monitor ?? '';
  if (!choices.some(([value]) => value === current)) choices.push([current, current]);
  setOptions(select, choices, current);
}

function showAudio(s) {
  const audio = s.audio || { backend: 'clock' };
  const backend = $('backend').dataset.chosen || audio.backend;
  setOptions($('backend'), backends.map((b) => [b, b === 'auto' ? 'Auto' : b === 'pipewire' ? 'PipeWire' : b === 'jack' ? 'JACK' : b === 'alsa' ? 'ALSA' : 'Internal clock']), backend);
  const choices = deviceChoices(backend);
  const input = audio.input ?? '';
  if (!choices.some(([value]) => value === input) && backend === audio.backend) choices.push([input, input]);
  setOptions($('device'), choices, backend === audio.backend ? input : undefined);
  setOptions($('rate'), [...new Set([...rates, s.format.sample_rate])].sort((a, b) => a - b).map((r) => [r, `${r} Hz`]), s.format.sample_rate);
  setOptions($('period'), [...new Set([...periods, s.format.period_frames])].sort((a, b) => a - b).map((p) => [p, `${p} frames (${(p / s.format.sample_rate * 1000).toFixed(1)} ms)`]), s.format.period_frames);
  if (document.activeElement !== $('channels')) $('channels').value = String(s.format.channels);
  showMonitorDevice(s);
}

/** Effects the plugin list was asked about already: one not in it (added by id, before any scan) is asked once. */
const askedAbout = new Set();

function show(s) {
  state = s;
  const unlisted = s.chain.effects.map((effect) => effect.id).filter((id) => !plugins.some((plugin) => plugin.id === id) && !askedAbout.has(id));
  if (unlisted.length) { unlisted.forEach((id) => askedAbout.add(id)); loadPlugins(); }
  const audio = s.audio;
  $('summary').textContent = `${audio ? `${audio.backend}${audio.connected ? '' : ' (LOST)'} · ` : ''}${s.format.sample_rate} Hz / ${s.format.period_frames} · ${s.format.channels === 1 ? 'mono' : 'stereo'}`;
  $('panic').setAttribute('aria-pressed', String(s.panic));
  $('panic').textContent = s.panic ? 'Panic: all muted' : 'Panic';
  showAudio(s);
  if (document.activeElement !== $('gain')) $('gain').value = s.input.gain_db;
  if (document.activeElement !== $('gain-number')) $('gain-number').value = s.input.gain_db;
  $('input-mute').setAttribute('aria-pressed', String(s.input.muted));
  $('input-mute').textContent = s.input.muted ? 'Input muted' : 'Mute input';
  $('master-bypass').setAttribute('aria-pressed', String(s.chain.bypass));
  $('chain-latency').textContent = `${s.chain.latency_frames} frames latency`;
  chain.show(s.chain, s.format.sample_rate);
  showOutputs(s);
  showPresets(s);
  const latency = s.latency;
  $('latency').textContent = latency
    ? `Latency: ${latency.pipe_readable_ms != null ? `OBS pipe ${latency.pipe_readable_ms.toFixed(2)} ms` : 'no impulse in the pipe'}`
      + (latency.mic_frames != null ? `, virtual mic +${latency.mic_frames} frames` : '')
      + (latency.monitor_frames != null ? `, monitor +${latency.monitor_frames} frames` : '')
    : 'Latency not measured';
  $('guard-on').checked = s.guard.on;
  if (document.activeElement !== $('guard-ceiling')) $('guard-ceiling').value = s.guard.ceiling_db;
  $('guard-true-peak').checked = s.guard.true_peak;
  $('record').setAttribute('aria-pressed', String(!!s.recording));
  $('record').textContent = s.recording ? 'Stop recording' : 'Record';
  $('record-status').textContent = s.recording ? `${s.recording.path.split('/').pop()} · ${s.recording.seconds.toFixed(0)} s` : '';
}

function showOutputs(s) {
  const list = $('output-list');
  if (!list.childElementCount) {
    for (const [id, title] of outputs) {
      const row = document.createElement('div');
      row.className = 'output';
      row.dataset.output = id;
      row.innerHTML = `<strong>${title}</strong>
        <label class="toggle"><input type="checkbox" class="enabled"> On</label>
        <button type="button" class="mute" aria-pressed="false">Mute</button>
        <div class="volume"><label for="vol-${id}">Volume</label><input id="vol-${id}" type="range" min="0" max="2" step="0.01">
          <span class="unit"></span></div>
        <div class="detail"></div>${id === 'monitor' ? `
        <label class="device">Monitor device <select id="monitor-device"></select></label>` : ''}`;
      row.querySelector('.mute').setAttribute('aria-label', `Mute ${title}`);
      row.querySelector('.enabled').setAttribute('aria-label', `${title} on`);
      row.querySelector('input[type=range]').setAttribute('aria-label', `${title} volume`);
      row.querySelector('.enabled').addEventListener('change', (event) => perform({ action: 'enable_output', output: id, on: event.target.checked }));
      row.querySelector('.mute').addEventListener('click', (event) => perform({ action: 'mute_output', output: id, on: event.target.getAttribute('aria-pressed') !== 'true' }));
      const slider = row.querySelector('input[type=range]');
      // The value the user set is kept here: a state arriving within the 40 ms may put the host's old value
      // back into an unfocused slider, and that must not be what is sent.
      let timer = null, wanted = null;
      slider.addEventListener('input', () => {
        wanted = Number(slider.value);
        row.querySelector('.unit').textContent = volumeText(wanted);
        if (!timer) timer = setTimeout(() => { timer = null; perform({ action: 'set_output_volume', output: id, volume: wanted }); }, 40);
      });
      list.append(row);
    }
    $('monitor-device').addEventListener('change', (event) => {
      perform({ action: 'configure_audio', monitor: event.target.value || 'none' }).then((done) => { if (!done && state) showAudio(state); });
    });
    showMonitorDevice(s);
  }
  for (const row of list.children) {
    const output = s.outputs[row.dataset.output];
    row.querySelector('.enabled').checked = output.enabled;
    row.querySelector('.mute').setAttribute('aria-pressed', String(output.muted));
    const slider = row.querySelector('input[type=range]');
    if (document.activeElement !== slider) slider.value = output.volume;
    row.querySelector('.unit').textContent = volumeText(output.volume);
  }
}

const volumeText = (volume) => (volume > 0 ? `${(20 * Math.log10(volume)).toFixed(1)} dB` : '−∞ dB');

function showPresets(s) {
  const slots = $('slots');
  if (!slots.childElementCount) {
    for (const name of ['A', 'B', 'C', 'D', 'E']) {
      const button = Object.assign(document.createElement('button'), { type: 'button', textContent: name });
      button.dataset.slot = name;
      button.addEventListener('click', () => {
        if (state.slots.includes(name)) perform({ action: 'switch_slot', slot: name });
        else perform({ action: 'save_preset', name }).then((saved) => saved && perform({ action: 'switch_slot', slot: name }));
      });
      slots.append(button);
    }
  }
  for (const button of slots.children) {
    const name = button.dataset.slot, filled = s.slots.includes(name);
    button.classList.toggle('empty', !filled);
    button.setAttribute('aria-pressed', String(s.slot === name));
    button.setAttribute('aria-label', `Slot ${name}${filled ? '' : ' (empty: click to save the chain here)'}`);
  }
  $('slot-save').disabled = !s.slot;
  $('slot-save').textContent = s.slot ? `Save to slot ${s.slot}` : 'Save to current slot';
  const list = $('preset-list');
  if (list.dataset.names === s.presets.join('\n')) return;
  list.dataset.names = s.presets.join('\n');
  list.replaceChildren(...s.presets.map((name) => {
    const item = document.createElement('li');
    const label = Object.assign(document.createElement('span'), { textContent: name });
    const button = (text, aria, action) => {
      const b = Object.assign(document.createElement('button'), { type: 'button', textContent: text });
      b.setAttribute('aria-label', aria);
      b.addEventListener('click', action);
      return b;
    };
    const exportLink = Object.assign(document.createElement('a'), {
      href: `/api/v1/presets/${encodeURIComponent(name)}`, download: `${name}.json`, textContent: 'Export' });
    exportLink.setAttribute('aria-label', `Export ${name}`);
    item.append(label,
      button('Load', `Load ${name}`, () => perform({ action: 'load_preset', name })),
      button('Rename', `Rename ${name}`, () => {
        const to = prompt(`New name for ${name}`, name);
        if (to && to !== name) perform({ action: 'rename_preset', name, new_name: to });
      }),
      exportLink,
      button('Delete', `Delete ${name}`, () => { if (confirm(`Delete the preset ${name}?`)) perform({ action: 'delete_preset', name }); }));
    return item;
  }));
}

function listPlugins() {
  const query = $('plugin-search').value.trim().toLowerCase(), formatFilter = $('plugin-format').value;
  const found = plugins.filter((plugin) => (!formatFilter || plugin.format === formatFilter)
    && (!query || `${plugin.info?.name || ''} ${plugin.id}`.toLowerCase().includes(query))).slice(0, 200);
  $('plugin-list').replaceChildren(...found.map((plugin) => {
    const item = document.createElement('li');
    const name = plugin.info?.name || plugin.id;
    const add = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Add' });
    add.setAttribute('aria-label', `Add ${name}`);
    add.dataset.id = plugin.id;
    add.addEventListener('click', () => perform({ action: 'add_effect', id: plugin.id }));
    item.append(Object.assign(document.createElement('span'), { textContent: name, title: plugin.id }),
      Object.assign(document.createElement('span'), { className: 'fmt', textContent: plugin.format }), add);
    return item;
  }));
}

function telemetry(t) {
  inputMeter.update(t.input_peak, null, false);
  outputMeter.update(t.output_peak, t.output_rms, t.clipped);
  const loudest = Math.max(...t.input_peak, 0);
  chain.setInputLevel(loudest > 0 ? 20 * Math.log10(loudest) : -Infinity);
  chain.setReductions(t.gain_reduction_db);
  chain.setVoice(t.voice_probability);
  chain.setNotes(t.notes);
  showLoudness(t.loudness, t.guard_reduction_db);
  $('cpu').textContent = `CPU ${(t.cpu_load * 100).toFixed(1)} %`;
  $('xruns').textContent = `xruns ${t.xruns} · graph ${t.graph_xruns}`;
  $('xruns').title = 'xruns: DirectPipe late with a period. graph: cycles the audio server skipped, whoever was late.';
  const pipe = document.querySelector('[data-output=pipe] .detail');
  if (pipe && t.pipe_readers != null) {
    pipe.textContent = `${t.pipe_readers} reader${t.pipe_readers === 1 ? '' : 's'} waiting, ${t.pipe_fill_frames} frames unread`;
  }
}

/** LUFS and dBTP as a streamer reads them: one decimal, "–" for silence. */
function showLoudness(loudness, guardReduction) {
  const lufs = (value) => (value == null ? '–' : value.toFixed(1));
  $('lufs-short').textContent = lufs(loudness.short_term);
  $('lufs-momentary').textContent = `M ${lufs(loudness.momentary)}`;
  $('lufs-integrated').textContent = `I ${lufs(loudness.integrated)}`;
  $('true-peak').textContent = `TP max ${lufs(loudness.true_peak_max)} dBTP`;
  $('true-peak').dataset.db = loudness.true_peak_max == null ? '-inf' : String(loudness.true_peak_max);
  $('guard-reduction').textContent = guardReduction > 0.05 ? `guard −${guardReduction.toFixed(1)} dB` : '';
}

function frame() {
  inputMeter.draw();
  outputMeter.draw();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// Controls → actions.
$('panic').addEventListener('click', () => perform({ action: 'panic', on: !state?.panic }));
$('input-mute').addEventListener('click', () => perform({ action: 'mute_input', on: !state?.input.muted }));
$('master-bypass').addEventListener('click', () => perform({ action: 'master_bypass', on: !state?.chain.bypass }));
$('reset-xruns').addEventListener('click', () => perform({ action: 'reset_xruns' }));
$('reset-loudness').addEventListener('click', () => perform({ action: 'reset_loudness' }));
$('guard-on').addEventListener('change', () => perform({ action: 'set_guard', on: $('guard-on').checked }));
$('guard-ceiling').addEventListener('change', () => perform({ action: 'set_guard', ceiling_db: Number($('guard-ceiling').value) }));
$('guard-true-peak').addEventListener('change', () => perform({ action: 'set_guard', true_peak: $('guard-true-peak').checked }));
$('measure-latency').addEventListener('click', () => {
  $('latency').textContent = 'Measuring…';
  perform({ action: 'measure_latency' }).then((measured) => { if (!measured && state) show(state); });
});
$('record').addEventListener('click', () => perform(state?.recording ? { action: 'record_stop' } : { action: 'record_start' }));
let gainTimer = null, wantedGain = null;
$('gain').addEventListener('input', () => {
  wantedGain = Number($('gain').value);  // kept, as for the output volumes
  $('gain-number').value = $('gain').value;
  if (!gainTimer) gainTimer = setTimeout(() => { gainTimer = null; perform({ action: 'set_input_gain', decibels: wantedGain }); }, 40);
});
$('gain-number').addEventListener('change', () => perform({ action: 'set_input_gain', decibels: Number($('gain-number').value) }));
$('backend').addEventListener('change', () => {
  $('backend').dataset.chosen = $('backend').value;
  showAudio(state);
});
$('audio-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const request = { action: 'configure_audio', backend: $('backend').value, rate: Number($('rate').value),
    period: Number($('period').value), channels: Number($('channels').value) };
  if ($('device').value) request.input = $('device').value;
  $('audio-apply').disabled = true;
  perform(request).finally(() => {
    $('audio-apply').disabled = false;
    delete $('backend').dataset.chosen;
    if (state) showAudio(state);
  });
});
$('slot-save').addEventListener('click', () => state?.slot && perform({ action: 'save_preset', name: state.slot }));
$('voice').addEventListener('click', () => perform(state?.slot ? { action: 'voice', slot: state.slot } : { action: 'voice' }));
$('preset-save').addEventListener('submit', (event) => {
  event.preventDefault();
  perform({ action: 'save_preset', name: $('preset-name').value.trim() }).then((saved) => { if (saved) $('preset-name').value = ''; });
});
$('plugin-search').addEventListener('input', listPlugins);
$('plugin-format').addEventListener('change', listPlugins);
window.addEventListener('resize', () => { if (state) { chain.signature = ''; chain.show(state.chain, state.format.sample_rate); } });
