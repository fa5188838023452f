// The correction editor: edit a transcript while its recording plays. Every change goes
// through the JSON API with the revision it started from ("base"); one at a time, in the
// order they were made. When someone else saved first (409) nothing is overwritten: the
// page says who and when, and keeps the text that was not saved.
(() => {
  const root = document.getElementById("editor");
  const list = document.getElementById("segments");
  const dataNode = document.getElementById("editor-data");
  if (!root || !list || !dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const S = data.strings;
  const api = "/api/stories/" + root.dataset.story;
  const player = document.getElementById("player");
  const template = document.getElementById("segment-template");
  const status = document.getElementById("editor-status");
  const conflictBox = document.getElementById("conflict");
  const RATES = [0.5, 0.75, 1, 1.25, 1.5];
  let transcript = data.transcript;
  let queue = Promise.resolve();
  let current = null;

  document.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });

  // small helpers ----------------------------------------------------------------------
  function fmt(key, values) {
    return (S[key] || key).replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? values[k] : m));
  }
  function clock(t) {
    const s = Math.max(0, Math.floor(t)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    const mmss = String(m).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
    return h ? h + ":" + mmss : mmss;
  }
  function normal(text) { return text.split(/\s+/).filter(Boolean).join(" "); }
  function timeOfDay(iso) {
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString(data.lang, { hour: "2-digit", minute: "2-digit" });
  }
  function announce(text) { status.textContent = text; }
  function segment(id) { return transcript.segments.find((s) => String(s.id) === String(id)); }
  function itemOf(id) { return document.getElementById("seg-" + id); }
  function areaOf(li) { return li.querySelector(".seg-text"); }
  function say(li, text, bad) {
    const out = li && li.querySelector(".seg-status");
    if (!out) return;
    out.textContent = text;
    out.classList.toggle("error", !!bad);
  }

  async function send(method, path, body) {
    const r = await fetch(api + path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let answer = null;
    try { answer = await r.json(); } catch (err) { /* not JSON */ }
    if (r.ok) return answer;
    const err = new Error((answer && answer.error) || r.statusText || String(r.status));
    err.status = r.status;
    throw err;
  }

  // one change at a time, each with the revision the one before it made
  function run(op) {
    const done = queue.then(op);
    queue = done.catch(() => {});
    return done;
  }

  // speakers -----------------------------------------------------------------------------
  function labels() {
    const known = new Set(transcript.segments.map((s) => s.speaker).filter(Boolean));
    transcript.speakers.forEach((s) => known.add(s.label));
    const numbered = (x) => /^S\d+$/.test(x);
    const sorted = Array.from(known).sort((a, b) => (numbered(a) && numbered(b)
      ? parseInt(a.slice(1), 10) - parseInt(b.slice(1), 10) : numbered(a) ? -1 : numbered(b) ? 1 : a.localeCompare(b)));
    const top = Math.max(0, ...sorted.filter(numbered).map((x) => parseInt(x.slice(1), 10)));
    return { known: sorted, fresh: "S" + (top + 1) };
  }
  function speakerText(label) {
    const named = transcript.speakers.find((s) => s.label === label);
    if (!named) return label;
    return label + " · " + (named.name || "…") + " (" + fmt("editor.role." + named.role) + ")";
  }
  function fillSpeakers(select, selected) {
    const { known, fresh } = labels();
    select.textContent = "";
    const none = new Option(fmt("editor.no_speaker"), "");
    select.add(none);
    known.forEach((label) => select.add(new Option(speakerText(label), label)));
    select.add(new Option(fmt("editor.new_speaker", { label: fresh }), fresh));
    select.value = selected || "";
  }
  function fillSpeakerForm() {
    const select = document.getElementById("sp-label");
    if (!select) return;
    const was = select.value;
    const { known, fresh } = labels();
    select.textContent = "";
    [...known, fresh].forEach((label) => select.add(new Option(label, label)));
    select.value = [...known, fresh].includes(was) ? was : (known[0] || fresh);
    speakerFormFollows();
  }
  function speakerFormFollows() {
    const label = document.getElementById("sp-label").value;
    const named = transcript.speakers.find((s) => s.label === label);
    document.getElementById("sp-name").value = named ? named.name : "";
    document.getElementById("sp-role").value = named ? named.role : "other";
  }

  // the segments on the page ----------------------------------------------------------------
  function fill(li, s) {
    const id = String(s.id), at = clock(s.start);
    const spoken = s.language || transcript.language || "und";
    li.id = "seg-" + id;
    li.dataset.id = id;
    li.dataset.start = s.start;
    li.dataset.end = s.end;
    li.classList.toggle("unsure", !!s.low_confidence);
    li.querySelector(".unsure-mark").hidden = !s.low_confidence;
    li.querySelector("input[name=segment]").value = id;
    const time = li.querySelector("a.time");
    time.href = "?t=" + Math.round(s.start * 10) / 10;
    time.textContent = at;
    time.setAttribute("aria-label", fmt("story.jump", { time: at }));
    const badge = li.querySelector(".seg-lang"), name = data.language_names[spoken] || spoken;
    badge.title = name;
    badge.querySelector("[aria-hidden]").textContent = spoken.toUpperCase();
    badge.querySelector(".visually-hidden").textContent = name;
    const select = li.querySelector(".seg-speaker");
    select.id = "speaker-" + id;
    li.querySelector(".seg-speaker-label").htmlFor = select.id;
    fillSpeakers(select, s.speaker);
    const area = areaOf(li);
    area.id = "text-" + id;
    area.lang = spoken;
    const label = li.querySelector(".seg-text-label");
    label.htmlFor = area.id;
    label.textContent = fmt("editor.segment_text", { time: at });
    area.value = s.text;
    li.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });
  }

  function render() {
    list.textContent = "";
    transcript.segments.forEach((s) => {
      const li = template.content.firstElementChild.cloneNode(true);
      fill(li, s);
      list.appendChild(li);
    });
    current = null;
    highlight();
  }

  // after a change: the new transcript; the page redrawn when segments came or went,
  // otherwise only what changed (so the field being typed in keeps its focus and text)
  function take(t) {
    const before = transcript.segments.map((s) => s.id).join(",");
    const old = new Map(transcript.segments.map((s) => [String(s.id), s]));
    transcript = t;
    root.dataset.revision = t.revision;
    list.querySelectorAll(".seg-status").forEach((out) => say(out.closest(".seg"), ""));
    document.querySelectorAll("input[name=base]").forEach((input) => { input.value = t.revision; });
    if (t.segments.map((s) => s.id).join(",") !== before) {
      render();
    } else {
      t.segments.forEach((s) => {
        const li = itemOf(s.id);
        if (!li) return;
        const area = areaOf(li), was = old.get(String(s.id));
        // a field with unsaved typing keeps it
        if (was && normal(area.value) === was.text) area.value = s.text;
        fillSpeakers(li.querySelector(".seg-speaker"), s.speaker);
      });
    }
    fillSpeakerForm();
    preview();
    loadRevisions();
  }

  // a change that failed: someone saved first (409), or the archive refused it
  async function failed(err, li, text) {
    if (err.status !== 409) {
      const reason = fmt("editor.not_saved", { reason: err.message });
      say(li, reason, true);
      announce(reason);
      return;
    }
    let latest = null;
    try { latest = (await send("GET", "/revisions")).revisions[0]; } catch (e) { /* said below anyway */ }
    const message = latest
      ? fmt("editor.conflict", { who: latest.who, number: latest.number, time: timeOfDay(latest.at) })
      : err.message;
    document.getElementById("conflict-message").textContent = message;
    const kept = document.getElementById("conflict-kept");
    kept.hidden = !text;
    document.getElementById("conflict-text").value = text || "";
    conflictBox.hidden = false;
    conflictBox.scrollIntoView({ block: "nearest" });
    say(li, fmt("editor.not_saved", { reason: message }), true);
  }

  // a segment's text, when it changed; false when it could not be saved
  async function saveText(li) {
    if (!li || !li.isConnected) return true;
    const area = areaOf(li), s = segment(li.dataset.id);
    const text = area.value;
    if (!s || normal(text) === s.text) return true;
    if (!normal(text)) {
      say(li, fmt("editor.empty"), true);
      return false;
    }
    say(li, fmt("editor.saving"));
    try {
      const t = await send("PATCH", "/segments/" + s.id, { text, base: transcript.revision });
      take(t);
      if (area.value === text) area.value = segment(s.id).text;
      const done = fmt("editor.saved", { revision: t.revision });
      say(li, done);
      announce(done);
      return true;
    } catch (err) {
      await failed(err, li, text);
      return false;
    }
  }
  const save = (li) => run(() => saveText(li));

  function splitAt(li, area) {
    // the cursor's place in the text as it will be saved (runs of spaces become one)
    const offset = normal(area.value.slice(0, area.selectionStart)).length;
    return run(async () => {
      if (!(await saveText(li))) return;
      const s = segment(li.dataset.id);
      if (!s) return;
      if (offset <= 0 || offset >= s.text.length) {
        say(li, fmt("editor.split_where"), true);
        return;
      }
      try {
        const t = await send("POST", "/segments/" + s.id + "/split", { offset, base: transcript.revision });
        const index = transcript.segments.findIndex((x) => x.id === s.id);
        take(t);
        const second = t.segments[index + 1];
        announce(fmt("editor.split_done", { revision: t.revision }));
        if (second) {
          const next = areaOf(itemOf(second.id));
          next.focus();
          next.setSelectionRange(0, 0);
          say(itemOf(second.id), fmt("editor.split_done", { revision: t.revision }));
        }
      } catch (err) { await failed(err, li, null); }
    });
  }

  function mergeNext(li) {
    return run(async () => {
      const next = li.nextElementSibling;
      if (!(await saveText(li))) return;
      if (!next) {
        say(li, fmt("editor.last"), true);
        return;
      }
      if (!(await saveText(next))) return;
      const s = segment(li.dataset.id);
      const join = s.text.length + 1;
      try {
        const t = await send("POST", "/segments/" + s.id + "/merge", { base: transcript.revision });
        take(t);
        const merged = itemOf(s.id);
        const done = fmt("editor.merge_done", { revision: t.revision });
        announce(done);
        if (merged) {
          const area = areaOf(merged);
          area.focus();
          area.setSelectionRange(join, join);
          say(merged, done);
        }
      } catch (err) { await failed(err, li, null); }
    });
  }

  function setSpeaker(li, label) {
    return run(async () => {
      const s = segment(li.dataset.id);
      if (!s || (label || null) === (s.speaker || null)) return;
      try {
        const t = await send("PATCH", "/segments/" + s.id, { speaker: label || null, base: transcript.revision });
        take(t);
        const done = fmt("editor.saved", { revision: t.revision });
        say(itemOf(s.id), done);
        announce(done);
      } catch (err) { await failed(err, li, null); }
    });
  }

  // playback ----------------------------------------------------------------------------------
  function highlight() {
    if (!player) return;
    const t = player.currentTime;
    let found = null;
    for (const li of list.children) {
      if (parseFloat(li.dataset.start) <= t + 0.05) found = li; else break;
    }
    if (found === current) return;
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = found;
    if (!found) return;
    found.classList.add("current");
    found.setAttribute("aria-current", "true");
    // follow the playback, unless it would move the field being typed in
    if (!list.contains(document.activeElement)) {
      const r = found.getBoundingClientRect();
      if (r.top < 0 || r.bottom > window.innerHeight) found.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }
  function seek(t, play) {
    if (!player) return;
    player.currentTime = Math.max(0, Math.min(t, player.duration || t));
    highlight();
    if (play) player.play().catch(() => {});
  }
  function toggle() {
    if (!player) return;
    if (player.paused) player.play().catch(() => {}); else player.pause();
  }
  function rate(step) {
    if (!player) return;
    let i = RATES.indexOf(player.playbackRate);
    if (i < 0) i = RATES.indexOf(1);
    player.playbackRate = RATES[Math.max(0, Math.min(RATES.length - 1, i + step))];
  }
  if (player) {
    player.addEventListener("timeupdate", highlight);
    player.addEventListener("seeked", highlight);
    player.addEventListener("ratechange", () => {
      const shown = player.playbackRate.toLocaleString(data.lang);
      document.getElementById("rate").textContent = shown + "×";
    });
  }

  // events ------------------------------------------------------------------------------------
  list.addEventListener("click", (e) => {
    const li = e.target.closest(".seg");
    if (!li) return;
    if (e.target.closest("a.time")) {
      e.preventDefault();
      seek(parseFloat(li.dataset.start), true);
    } else if (e.target.closest(".seg-split")) {
      splitAt(li, areaOf(li));
    } else if (e.target.closest(".seg-merge")) {
      mergeNext(li);
    }
  });
  list.addEventListener("submit", (e) => {
    e.preventDefault();
    save(e.target.closest(".seg"));
  });
  // leaving a segment's text saves it
  list.addEventListener("focusout", (e) => {
    if (e.target.classList.contains("seg-text")) save(e.target.closest(".seg"));
  });
  list.addEventListener("change", (e) => {
    if (e.target.classList.contains("seg-speaker")) setSpeaker(e.target.closest(".seg"), e.target.value);
  });

  // Alt with a letter types a letter on some keyboards (Option+S is "ś" on a Mac's Polish
  // layout, "ß" on its US one): a shortcut only where it gives the letter itself, or none
  function altLetter(e, letter) {
    if (!e.altKey || e.ctrlKey || e.metaKey) return false;
    const key = e.key || "";
    return key.toLowerCase() === letter || (key.length !== 1 && e.code === "Key" + letter.toUpperCase());
  }

  document.addEventListener("keydown", (e) => {
    const area = e.target.closest && e.target.closest(".seg-text");
    const ctrl = e.ctrlKey || e.metaKey;
    let handled = true;
    if (ctrl && (e.code === "Space" || e.key === " ")) toggle();
    else if (e.key === "Escape" && !ctrl && !e.altKey) toggle();
    else if (ctrl && e.key === "ArrowLeft") seek((player ? player.currentTime : 0) - 3, false);
    else if (ctrl && e.key === "ArrowRight") seek((player ? player.currentTime : 0) + 3, false);
    else if (ctrl && e.key === "ArrowDown") rate(-1);
    else if (ctrl && e.key === "ArrowUp") rate(1);
    else if (area && e.key === "Enter" && !e.shiftKey && !e.altKey && !e.isComposing) save(area.closest(".seg"));
    else if (area && altLetter(e, "s")) splitAt(area.closest(".seg"), area);
    else if (area && altLetter(e, "m")) mergeNext(area.closest(".seg"));
    else handled = false;
    if (handled) e.preventDefault();
  });

  // naming a speaker ------------------------------------------------------------------------
  const speakerForm = document.getElementById("speaker-form");
  document.getElementById("sp-label").addEventListener("change", speakerFormFollows);
  speakerForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const label = document.getElementById("sp-label").value;
    const body = { label, name: document.getElementById("sp-name").value, role: document.getElementById("sp-role").value };
    run(async () => {
      try {
        const t = await send("POST", "/speakers", { ...body, base: transcript.revision });
        take(t);
        announce(fmt("editor.named", { label, revision: t.revision }));
      } catch (err) { await failed(err, null, null); }
    });
  });

  // find and replace, with how many it would change -------------------------------------------
  const replaceForm = document.getElementById("replace-form");
  const findInput = document.getElementById("rp-find"), caseBox = document.getElementById("rp-case");
  function pattern() {
    const find = findInput.value;
    if (!find.trim()) return null;
    return new RegExp(find.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), caseBox.checked ? "gu" : "giu");
  }
  function preview() {
    const out = document.getElementById("rp-count"), p = pattern();
    if (!p) { out.textContent = ""; return; }
    let count = 0, segments = 0;
    transcript.segments.forEach((s) => {
      const n = (s.text.match(p) || []).length;
      count += n;
      if (n) segments += 1;
    });
    out.textContent = fmt("editor.matches", { count, segments });
  }
  findInput.addEventListener("input", preview);
  caseBox.addEventListener("change", preview);
  replaceForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!pattern()) return;
    const body = { find: findInput.value, replace: document.getElementById("rp-with").value, case_sensitive: caseBox.checked };
    run(async () => {
      try {
        const t = await send("POST", "/replace", { ...body, base: transcript.revision });
        take(t);
        announce(fmt("editor.replaced", { count: t.changed, revision: t.revision }));
      } catch (err) { await failed(err, null, null); }
    });
  });

  // revisions: compare with the one before, restore ------------------------------------------------
  const revisions = document.getElementById("revisions"), compareBox = document.getElementById("compare");
  async function loadRevisions() {
    let listed;
    try { listed = (await send("GET", "/revisions")).revisions; } catch (err) { return; }
    const none = document.getElementById("no-revisions");
    if (none) none.hidden = listed.length > 0;
    revisions.textContent = "";
    listed.forEach((r) => {
      const li = document.createElement("li");
      const who = r.who === data.machine ? fmt("editor.machine") : r.who;
      const when = document.createElement("time");
      when.dateTime = r.at;
      when.textContent = timeOfDay(r.at);
      li.append(fmt("editor.revision", { number: r.number }) + " · " + who + " · ", when, " · " + r.summary);
      if (r.number === transcript.revision) li.append(" (" + fmt("editor.current") + ")");
      const buttons = document.createElement("span");
      buttons.className = "revision-actions";
      if (r.number > 0) {
        const compare = document.createElement("button");
        compare.type = "button";
        compare.className = "compare-button";
        compare.textContent = fmt("editor.compare", { number: r.number - 1 });
        compare.addEventListener("click", () => showChanges(r.number - 1, r.number));
        buttons.append(compare);
      }
      if (r.number !== transcript.revision) {
        const restore = document.createElement("button");
        restore.type = "button";
        restore.className = "restore-button";
        restore.textContent = fmt("editor.restore", { number: r.number });
        restore.addEventListener("click", () => restoreRevision(r.number));
        buttons.append(restore);
      }
      li.append(" ", buttons);
      revisions.append(li);
    });
  }
  async function showChanges(a, b) {
    let changes;
    try { changes = (await send("GET", "/revisions/" + b + "?compare=" + a)).changes; } catch (err) {
      announce(fmt("editor.not_saved", { reason: err.message }));
      return;
    }
    compareBox.textContent = "";
    const table = document.createElement("table");
    table.className = "changes";
    const caption = table.createCaption();
    caption.textContent = fmt("editor.changes", { a, b });
    const head = table.createTHead().insertRow();
    ["editor.time", "editor.before", "editor.after"].forEach((key) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = fmt(key);
      head.append(th);
    });
    const body = table.createTBody();
    changes.forEach((c) => {
      const row = body.insertRow();
      row.insertCell().textContent = clock(c.start);
      const before = row.insertCell(), after = row.insertCell();
      before.className = "before";
      after.className = "after";
      if (c.before !== null) { const del = document.createElement("del"); del.textContent = c.before; before.append(del); }
      if (c.after !== null) { const ins = document.createElement("ins"); ins.textContent = c.after; after.append(ins); }
    });
    compareBox.append(table);
    if (!changes.length) {
      const p = document.createElement("p");
      p.textContent = fmt("editor.no_changes");
      compareBox.append(p);
    }
  }
  function restoreRevision(number) {
    return run(async () => {
      try {
        const t = await send("POST", "/revisions/" + number + "/restore", { base: transcript.revision });
        take(t);
        announce(fmt("editor.restored", { number, revision: t.revision }));
      } catch (err) { await failed(err, null, null); }
    });
  }

  // after a conflict: their transcript, with the text that was not saved still kept above
  document.getElementById("conflict-reload").addEventListener("click", (e) => {
    e.preventDefault();
    run(async () => {
      try {
        transcript = await send("GET", "/transcript");
        root.dataset.revision = transcript.revision;
        render();
        fillSpeakerForm();
        preview();
        loadRevisions();
        announce(fmt("editor.reloaded", { revision: transcript.revision }));
      } catch (err) { announce(fmt("editor.not_saved", { reason: err.message })); }
    });
  });

  fillSpeakerForm();
  loadRevisions();
  const start = parseFloat(root.dataset.start || "0");
  if (player && start > 0) {
    const go = () => seek(start, false);
    if (player.readyState >= 1) go(); else player.addEventListener("loadedmetadata", go, { once: true });
  }
  highlight();
})();
