// The chain editor: one card per effect with its bypass, its plugin's own editor (Edit, where it has one), order
// (drag, or the arrow buttons / Alt+↑↓), removal, and a control per parameter built from the effect's metadata (range,
// unit, scale, toggles, choices); the built-ins' EQ, compressor and gate get their curves.

import { drawDynamics, drawEqualizer } from './curves.js';

const element = (tag, properties = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), properties);
  for (const child of children) node.append(child);
  return node;
};

const format = (value, parameter) => {
  if (parameter.kind === 'integer' || parameter.kind === 'toggle') return String(Math.round(value));
  const magnitude = Math.abs(value);
  return String(Number(value.toFixed(magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2)));
};

/** A parameter's control: slider and number (continuous, integer), checkbox (toggle) or list (choice). */
function parameterControl(effectIndex, parameter, value, send, labelPrefix) {
  const id = `p-${effectIndex}-${parameter.symbol}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const low = Math.min(parameter.minimum, parameter.maximum), high = Math.max(parameter.minimum, parameter.maximum);
  const name = `${parameter.name}${parameter.unit ? ` (${parameter.unit})` : ''}`;
  const box = element('div', { className: 'param' });
  box.dataset.symbol = parameter.symbol;
  if (parameter.kind === 'toggle') {
    const input = element('input', { type: 'checkbox', id, checked: value >= 0.5 });
    input.addEventListener('change', () => send(parameter.symbol, input.checked ? 1 : 0, true));
    box.append(element('label', { htmlFor: id, className: 'toggle' }, input, ` ${parameter.name}`));
    box.set = (v) => { input.checked = v >= 0.5; };
    return box;
  }
  if (parameter.kind === 'choice' && parameter.choices.length) {
    const select = element('select', { id });
    for (const choice of parameter.choices) select.append(element('option', { value: String(choice.value), textContent: choice.label }));
    select.value = String(value);
    select.addEventListener('change', () => send(parameter.symbol, Number(select.value), true));
    box.append(element('label', { htmlFor: id, textContent: name }), select);
    box.set = (v) => { if (document.activeElement !== select) select.value = String(v); };
    return box;
  }
  // A logarithmic range is a slider in 1000 steps over the log of the value.
  const logarithmic = parameter.logarithmic && low > 0;
  const toSlider = (v) => (logarithmic ? Math.log(v / low) / Math.log(high / low) * 1000 : v);
  const fromSlider = (s) => (logarithmic ? low * Math.pow(high / low, s / 1000) : s);
  const slider = element('input', { type: 'range', id, min: logarithmic ? 0 : low, max: logarithmic ? 1000 : high,
    step: logarithmic ? 1 : parameter.kind === 'integer' ? 1 : (high - low) / 1000 });
  const number = element('input', { type: 'number', min: low, max: high, step: parameter.kind === 'integer' ? 1 : 'any' });
  number.setAttribute('aria-label', `${labelPrefix} ${name}`);
  slider.value = toSlider(value);
  number.value = format(value, parameter);
  slider.addEventListener('input', () => {
    const v = parameter.kind === 'integer' ? Math.round(fromSlider(Number(slider.value))) : fromSlider(Number(slider.value));
    number.value = format(v, parameter);
    send(parameter.symbol, v, false);
  });
  slider.addEventListener('change', () => send(parameter.symbol, Number(number.value), true));
  number.addEventListener('change', () => {
    const v = Number(number.value);
    if (Number.isFinite(v)) { slider.value = toSlider(v); send(parameter.symbol, v, true); }
  });
  box.append(element('label', { htmlFor: id, textContent: name }), slider, number);
  box.set = (v) => {
    if (document.activeElement === slider || document.activeElement === number) return;  // being changed here
    slider.value = toSlider(v);
    number.value = format(v, parameter);
  };
  return box;
}

export class ChainEditor {
  /** `perform(action)` sends an action; `info(id)` gives an effect's metadata (or undefined). */
  constructor(list, perform, info) {
    this.list = list;
    this.perform = perform;
    this.info = info;
    this.signature = '';
    this.cards = [];
    this.sampleRate = 48000;
    this.inputDB = -Infinity;
    this.throttle = new Map();
    /** Effects whose controls are shown where cards are collapsed (a dock): "index id", kept across rebuilds. */
    this.expanded = new Set();
  }

  /** Shows `chain` (the state's): rebuilt when effects come, go or move, else updated in place. */
  show(chain, sampleRate) {
    this.sampleRate = sampleRate;
    this.chain = chain;
    const signature = chain.effects.map((effect) => effect.id).join('\n');
    if (signature !== this.signature || this.cards.length !== chain.effects.length) {
      this.signature = signature;
      this.build(chain.effects);
    }
    chain.effects.forEach((effect, index) => this.update(this.cards[index], effect));
  }

  /** Each effect's gain reduction now (dB, null for effects without one): a bar under the effect's name. */
  setReductions(reductions) {
    this.cards.forEach((card, index) => {
      const db = reductions?.[index];
      if (db == null) return;
      const bar = this.bar(card, 'reduction', 'gain reduction', -24, 0);
      bar.dataset.grDb = db.toFixed(1);
      bar.setAttribute('aria-valuenow', db.toFixed(1));
      bar.querySelector('.gr-bar').style.width = `${Math.min(100, -db / 24 * 100)}%`;
      bar.querySelector('.gr-text').textContent = `GR ${db.toFixed(1)} dB`;
    });
  }

  /** Each noise remover's voice probability (0–1, null for other effects): a bar and a percentage. */
  setVoice(probabilities) {
    this.cards.forEach((card, index) => {
      const probability = probabilities?.[index];
      if (probability == null) return;
      const percent = Math.round(probability * 100);
      const bar = this.bar(card, 'voice', 'voice probability', 0, 100);
      bar.dataset.voice = String(percent);
      bar.setAttribute('aria-valuenow', String(percent));
      bar.querySelector('.gr-bar').style.width = `${Math.min(60, percent * 0.6)}%`;
      bar.querySelector('.gr-text').textContent = `voice ${percent} %`;
    });
  }

  /** Each effect's note as it is now (telemetry: DeepFilterNet behind real time, RNNoise standing in). */
  setNotes(notes) {
    if (!notes) return;
    this.cards.forEach((card, index) => this.showNote(card, notes[index]));
  }

  /** `note` in a line under the effect's name, seen even when the card is folded (an OBS dock); none: no line. */
  showNote(card, note) {
    card.classList.toggle('noted', !!note);
    if (!card.classList.contains('faulted')) card.title = note || '';
    let line = card.querySelector('.note');
    if (!note) {
      if (line) line.hidden = true;
      return;
    }
    if (!line) {
      line = element('p', { className: 'note', role: 'status' });
      card.querySelector('.effect-head').after(line);
    }
    line.hidden = false;
    line.textContent = note;
  }

  /** A card's meter bar of `kind` under the effect's name, made the first time it is asked for. */
  bar(card, kind, what, min, max) {
    if (!card[kind]) {
      card[kind] = element('div', { className: `reduction ${kind}` }, element('span', { className: 'gr-bar' }),
        element('span', { className: 'gr-text unit' }));
      card[kind].setAttribute('role', 'meter');
      card[kind].setAttribute('aria-label', `${card.querySelector('.name').textContent} ${what}`);
      card[kind].setAttribute('aria-valuemin', String(min));
      card[kind].setAttribute('aria-valuemax', String(max));
      card.querySelector('.effect-head').after(card[kind]);
    }
    return card[kind];
  }

  /** The input's level, for the dynamics curves. */
  setInputLevel(db) {
    this.inputDB = db;
    for (const card of this.cards) if (card.curve && card.kind !== 'eq') this.drawCurve(card);
  }

  build(effects) {
    const focused = document.activeElement?.closest?.('.effect');
    const focusIndex = focused ? this.cards.indexOf(focused) : -1;
    this.list.replaceChildren();
    this.cards = effects.map((effect, index) => this.card(effect, index, effects.length));
    this.list.append(...this.cards);
    if (focusIndex >= 0) this.cards[Math.min(focusIndex, this.cards.length - 1)]?.querySelector('.name')?.focus();
  }

  card(effect, index, count) {
    const meta = this.info(effect.id);
    const title = meta?.name || effect.name || effect.id;
    const card = element('li', { className: 'effect', draggable: true, tabIndex: -1 });
    card.dataset.index = index;
    card.dataset.id = effect.id;
    const name = element('span', { className: 'name', textContent: `${index + 1}. ${title}`, tabIndex: 0 });
    name.title = effect.id;
    const bypass = element('button', { type: 'button', className: 'bypass', textContent: 'Bypass' });
    bypass.setAttribute('aria-label', `Bypass ${title}`);
    bypass.addEventListener('click', () => this.perform({ action: 'bypass_effect', effect: index, on: bypass.getAttribute('aria-pressed') !== 'true' }));
    // The plugin's own editor, a window on the host's desktop: shown only for effects that have one.
    const edit = element('button', { type: 'button', className: 'edit', textContent: 'Edit', hidden: effect.editor === 'none' });
    edit.setAttribute('aria-label', `Open ${title}'s own editor`);
    edit.addEventListener('click', () => this.perform({
      action: edit.getAttribute('aria-pressed') === 'true' ? 'close_editor' : 'open_editor', effect: index }));
    const up = element('button', { type: 'button', textContent: '↑', disabled: index === 0 });
    up.setAttribute('aria-label', `Move ${title} up`);
    up.addEventListener('click', () => this.move(index, index - 1));
    const down = element('button', { type: 'button', textContent: '↓', disabled: index === count - 1 });
    down.setAttribute('aria-label', `Move ${title} down`);
    down.addEventListener('click', () => this.move(index, index + 1));
    const remove = element('button', { type: 'button', textContent: '✕' });
    remove.setAttribute('aria-label', `Remove ${title}`);
    remove.addEventListener('click', () => this.perform({ action: 'remove_effect', effect: index }));
    const handle = element('span', { className: 'handle', textContent: '⋮⋮', ariaHidden: 'true' });
    handle.setAttribute('aria-hidden', 'true');
    // Narrow (an OBS dock), a card is one line until opened: this button, shown only there, opens it.
    const key = `${index} ${effect.id}`;
    const expand = element('button', { type: 'button', className: 'expand' });
    const showOpen = (open) => {
      card.classList.toggle('open', open);
      expand.setAttribute('aria-expanded', String(open));
      expand.textContent = open ? '▾' : '▸';
    };
    expand.setAttribute('aria-label', `Show ${title}'s controls`);
    expand.addEventListener('click', () => {
      const open = !card.classList.contains('open');
      if (open) this.expanded.add(key); else this.expanded.delete(key);
      showOpen(open);
      if (open && card.curve) this.drawCurve(card);
    });
    showOpen(this.expanded.has(key));
    card.append(element('div', { className: 'effect-head' }, expand, handle, name, bypass, edit, up, down, remove));
    card.addEventListener('keydown', (event) => {
      if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown')) return;
      event.preventDefault();
      this.move(index, index + (event.key === 'ArrowUp' ? -1 : 1));
    });
    this.dragAndDrop(card, index);

    const params = element('div', { className: 'params' });
    card.controls = new Map();
    if (['eq', 'compressor', 'gate'].includes(effect.id)) {
      card.kind = effect.id;
      card.curve = element('canvas', { className: 'curve' });
      card.curve.setAttribute('role', 'img');
      card.curve.setAttribute('aria-label', effect.id === 'eq' ? 'EQ response' : `${title} curve, with the input level`);
      params.append(card.curve);
    }
    for (const parameter of meta?.parameters || []) {
      const control = parameterControl(index, parameter, effect.parameters[parameter.symbol] ?? parameter.defaultValue,
        (symbol, value, final) => this.send(index, symbol, value, final), title);
      card.controls.set(parameter.symbol, control);
      params.append(control);
    }
    if (params.childElementCount) card.append(params);
    return card;
  }

  update(card, effect) {
    if (!card) return;
    card.querySelector('.bypass').setAttribute('aria-pressed', String(effect.bypass));
    const edit = card.querySelector('.edit');
    edit.hidden = effect.editor === 'none';
    edit.setAttribute('aria-pressed', String(effect.editor === 'open'));
    card.classList.toggle('faulted', effect.faulted);
    card.title = effect.faulted ? 'Taken out: it produced NaN, infinity or a blow-up' : '';
    this.showNote(card, effect.note);
    for (const [symbol, control] of card.controls) if (symbol in effect.parameters) control.set(effect.parameters[symbol]);
    card.parameters = effect.parameters;
    if (card.curve) this.drawCurve(card);
  }

  drawCurve(card) {
    if (!card.parameters || !card.curve.clientWidth) return;
    if (card.kind === 'eq') drawEqualizer(card.curve, card.parameters, this.sampleRate);
    else drawDynamics(card.curve, card.kind, card.parameters, this.inputDB);
  }

  move(from, to) {
    if (to < 0 || to >= this.cards.length || to === from) return;
    this.perform({ action: 'move_effect', from, to });
  }

  /** Sends a parameter at most every 40 ms while it is dragged; the last value always goes. */
  send(effect, symbol, value, final) {
    const key = `${effect}/${symbol}`;
    const entry = this.throttle.get(key) || { timer: null, value };
    entry.value = value;
    const flush = () => {
      entry.timer = null;
      this.perform({ action: 'set_parameter', effect, symbol, value: entry.value });
    };
    if (final) { clearTimeout(entry.timer); flush(); }
    else if (!entry.timer) entry.timer = setTimeout(flush, 40);
    this.throttle.set(key, entry);
  }

  dragAndDrop(card, index) {
    card.addEventListener('dragstart', (event) => {
      event.dataTransfer.setData('text/plain', String(index));
      event.dataTransfer.effectAllowed = 'move';
      card.classList.add('dragging');
    });
    card.addEventListener('dragend', () => card.classList.remove('dragging'));
    card.addEventListener('dragover', (event) => { event.preventDefault(); card.classList.add('drop-target'); });
    card.addEventListener('dragleave', () => card.classList.remove('drop-target'));
    card.addEventListener('drop', (event) => {
      event.preventDefault();
      card.classList.remove('drop-target');
      const from = Number(event.dataTransfer.getData('text/plain'));
      if (Number.isInteger(from)) this.move(from, index);
    });
  }
}
